//! The Kubernetes manifests in docs/deploy, read for what a schema cannot see (the schemas are
//! checked by `kubernetes-validate --strict` in scripts/lint-recipes.sh): the set that
//! `kubectl apply -k docs/deploy` brings up is complete, every container can write where its
//! program writes although its root filesystem is read-only, every mount names a volume, every
//! referenced Secret, ConfigMap and claim is part of the set, memory limits sit above the
//! measured peaks, and the key caches outlive their pods with their owner-only modes and the
//! drift CronJob outlasts a cold check.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

const DEPLOY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/deploy");

/// Peak RSS measured on an org of 10,000 apps (docs/performance.md, "Results"), in MiB: the
/// controller may apply (`--self-heal`), the CronJob only checks drift.
const APPLY_PEAK_MIB: u64 = 128;
const DRIFT_PEAK_MIB: u64 = 84;
/// The least headroom a limit keeps above the peak.
const HEADROOM: f64 = 1.5;

/// A cold drift check of 10,000 apps at Okta's limits: 2,050 calls at keyshare's 50 % share
/// of the apps bucket (50 calls a minute), docs/performance.md.
const COLD_CHECK_SECONDS: u64 = 2_050 / 50 * 60;

/// The objects of one manifest file (all its YAML documents).
fn objects_in(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .filter(|object| !object.is_null())
        .collect()
}

/// The kustomization: its resource files and the objects in them.
struct Kustomization {
    files: Vec<PathBuf>,
    objects: Vec<Value>,
}

fn kustomization() -> Kustomization {
    let k = &objects_in(&Path::new(DEPLOY).join("kustomization.yaml"))[0];
    assert_eq!(k["kind"], "Kustomization");
    let files: Vec<PathBuf> = k["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|file| Path::new(DEPLOY).join(file.as_str().expect("a file name")))
        .collect();
    let objects = files.iter().flat_map(|file| objects_in(file)).collect();
    Kustomization { files, objects }
}

/// The pod specs of the workloads: (workload name, pod spec).
fn pod_specs(objects: &[Value]) -> Vec<(String, &Value)> {
    objects
        .iter()
        .filter_map(|object| {
            let spec = match object["kind"].as_str()? {
                "Deployment" | "StatefulSet" | "DaemonSet" | "Job" => {
                    &object["spec"]["template"]["spec"]
                }
                "CronJob" => &object["spec"]["jobTemplate"]["spec"]["template"]["spec"],
                "Pod" => &object["spec"],
                _ => return None,
            };
            Some((object["metadata"]["name"].as_str()?.to_owned(), spec))
        })
        .collect()
}

/// Init containers and containers of a pod spec.
fn containers(spec: &Value) -> Vec<&Value> {
    ["initContainers", "containers"]
        .iter()
        .filter_map(|key| spec[key].as_array())
        .flatten()
        .collect()
}

fn workload_containers(objects: &[Value]) -> Vec<(String, &Value, &Value)> {
    pod_specs(objects)
        .into_iter()
        .flat_map(|(workload, spec)| {
            containers(spec)
                .into_iter()
                .map(move |container| (workload.clone(), spec, container))
        })
        .collect()
}

fn args(container: &Value) -> Vec<&str> {
    container["args"]
        .as_array()
        .map(|args| args.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// A flag's value in `--flag=value` or `--flag value` form.
fn flag<'a>(args: &[&'a str], name: &str) -> Option<&'a str> {
    args.iter().enumerate().find_map(|(i, arg)| {
        arg.strip_prefix(&format!("{name}="))
            .or_else(|| (*arg == name).then(|| args.get(i + 1).copied()).flatten())
    })
}

fn env_value<'a>(container: &'a Value, name: &str) -> Option<&'a str> {
    container["env"]
        .as_array()?
        .iter()
        .find(|var| var["name"] == name)?["value"]
        .as_str()
}

fn image(container: &Value) -> &str {
    container["image"].as_str().expect("an image")
}

/// The directories a container's program writes, with why, by the rules of that program.
fn written_dirs(container: &Value) -> Vec<(String, &'static str)> {
    let args = args(container);
    if image(container).contains("git-sync") {
        vec![
            (
                "/tmp".to_owned(),
                "git-sync's $HOME, where it writes its gitconfig",
            ),
            (
                flag(&args, "--root")
                    .expect("git-sync has --root")
                    .to_owned(),
                "git-sync's --root, where it checks out",
            ),
        ]
    } else if image(container).contains("keyshare") {
        // src/cli/okta_args.rs: the cache directory is --key-cache, else KEYSHARE_KEY_CACHE,
        // else $XDG_CACHE_HOME/keyshare (absolute only), else $HOME/.cache/keyshare; the apply
        // lock goes to the same directory.
        let home = env_value(container, "HOME").unwrap_or("/home/nonroot");
        let dir = flag(&args, "--key-cache")
            .map(str::to_owned)
            .or_else(|| env_value(container, "KEYSHARE_KEY_CACHE").map(str::to_owned))
            .or_else(|| {
                env_value(container, "XDG_CACHE_HOME")
                    .filter(|dir| dir.starts_with('/'))
                    .map(|dir| format!("{dir}/keyshare"))
            })
            .unwrap_or_else(|| format!("{home}/.cache/keyshare"));
        vec![(dir, "keyshare's key cache and apply lock")]
    } else {
        panic!(
            "what does {} write? Teach written_dirs before shipping it",
            image(container)
        )
    }
}

/// The volume mounted at `path` or above it in `container`: (volume name, read-only).
fn mount_of<'a>(container: &'a Value, path: &str) -> Option<(&'a str, bool)> {
    container["volumeMounts"]
        .as_array()?
        .iter()
        .filter(|mount| {
            let at = mount["mountPath"].as_str().unwrap().trim_end_matches('/');
            path == at || path.starts_with(&format!("{at}/"))
        })
        .max_by_key(|mount| mount["mountPath"].as_str().unwrap().len())
        .map(|mount| {
            (
                mount["name"].as_str().unwrap(),
                mount["readOnly"].as_bool().unwrap_or(false),
            )
        })
}

/// A quantity such as `384Mi` or `1Gi` in MiB.
fn mebibytes(quantity: &str) -> u64 {
    let (number, unit) = quantity.split_at(quantity.trim_end_matches(char::is_alphabetic).len());
    let number: f64 = number.parse().unwrap();
    let bytes = number
        * match unit {
            "Ki" => 1024.0,
            "Mi" => 1024.0 * 1024.0,
            "Gi" => 1024.0 * 1024.0 * 1024.0,
            "M" => 1e6,
            "G" => 1e9,
            "" => 1.0,
            other => panic!("unit {other}"),
        };
    (bytes / (1024.0 * 1024.0)) as u64
}

#[test]
fn the_kustomization_is_the_set_the_readme_applies() {
    let k = kustomization();
    for file in &k.files {
        assert!(file.is_file(), "{} exists", file.display());
    }
    let kinds: BTreeSet<&str> = k
        .objects
        .iter()
        .map(|object| object["kind"].as_str().unwrap())
        .collect();
    for kind in ["Secret", "Deployment", "Service", "CronJob"] {
        assert!(kinds.contains(kind), "the kustomization brings up a {kind}");
    }
    assert!(
        !kinds.contains("ServiceMonitor") && !kinds.contains("PrometheusRule"),
        "CRD-backed objects would fail `kubectl apply -k` on a cluster without the operator"
    );
    let readme = std::fs::read_to_string(Path::new(DEPLOY).join("README.md")).unwrap();
    assert!(readme.contains("kubectl apply -k docs/deploy"), "{readme}");
    for line in readme.lines().filter(|line| line.contains("kubectl")) {
        for file in ["deployment.yaml", "secret.yaml", "drift-cronjob.yaml"] {
            assert!(
                !line.contains(&format!("-f {file}")) && !line.contains(&format!("/{file}")),
                "the README applies {file} through the kustomization, not by hand: {line}"
            );
        }
    }
}

#[test]
fn read_only_containers_can_write_where_their_programs_write() {
    let k = kustomization();
    let all = workload_containers(&k.objects);
    assert!(all.len() >= 4, "git-sync and keyshare in both workloads");
    for (workload, _, container) in all {
        let name = container["name"].as_str().unwrap();
        assert_eq!(
            container["securityContext"]["readOnlyRootFilesystem"].as_bool(),
            Some(true),
            "{workload}/{name} runs with a read-only root"
        );
        for (dir, why) in written_dirs(container) {
            match mount_of(container, &dir) {
                Some((_, false)) => {}
                Some((volume, true)) => {
                    panic!("{workload}/{name}: {dir} ({why}) is on read-only mount {volume}")
                }
                None => {
                    panic!("{workload}/{name}: {dir} ({why}) is on the read-only root filesystem")
                }
            }
        }
        if image(container).contains("keyshare") {
            let desired = args(container)[1];
            assert!(
                mount_of(container, desired).is_some(),
                "{workload}/{name} reads {desired} from a volume"
            );
        }
    }
}

#[test]
fn every_mount_names_a_volume_of_its_pod() {
    let k = kustomization();
    for (workload, spec) in pod_specs(&k.objects) {
        let volumes: BTreeSet<&str> = spec["volumes"]
            .as_array()
            .map(|v| v.iter().map(|v| v["name"].as_str().unwrap()).collect())
            .unwrap_or_default();
        for container in containers(spec) {
            for mount in container["volumeMounts"].as_array().into_iter().flatten() {
                let name = mount["name"].as_str().unwrap();
                assert!(
                    volumes.contains(name),
                    "{workload}/{}: mount {name} has no volume",
                    container["name"]
                );
            }
        }
    }
}

#[test]
fn every_referenced_object_is_in_the_kustomization() {
    let k = kustomization();
    let defined: BTreeSet<(String, String)> = k
        .objects
        .iter()
        .map(|object| {
            (
                object["kind"].as_str().unwrap().to_owned(),
                object["metadata"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut referenced = Vec::new();
    for (workload, spec) in pod_specs(&k.objects) {
        for volume in spec["volumes"].as_array().into_iter().flatten() {
            for (key, kind, name) in [
                ("configMap", "ConfigMap", "name"),
                ("secret", "Secret", "secretName"),
                (
                    "persistentVolumeClaim",
                    "PersistentVolumeClaim",
                    "claimName",
                ),
            ] {
                if let Some(name) = volume[key][name].as_str() {
                    referenced.push((workload.clone(), kind, name.to_owned()));
                }
            }
        }
        for container in containers(spec) {
            for source in container["envFrom"].as_array().into_iter().flatten() {
                for (key, kind) in [("secretRef", "Secret"), ("configMapRef", "ConfigMap")] {
                    if let Some(name) = source[key]["name"].as_str() {
                        referenced.push((workload.clone(), kind, name.to_owned()));
                    }
                }
            }
            for var in container["env"].as_array().into_iter().flatten() {
                for (key, kind) in [("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")] {
                    if let Some(name) = var["valueFrom"][key]["name"].as_str() {
                        referenced.push((workload.clone(), kind, name.to_owned()));
                    }
                }
            }
        }
    }
    assert!(referenced.len() >= 4, "{referenced:?}");
    for (workload, kind, name) in referenced {
        assert!(
            defined.contains(&(kind.to_owned(), name.clone())),
            "{workload} refers to {kind} {name}, which `kubectl apply -k` does not create"
        );
    }
}

#[test]
fn memory_limits_sit_above_the_measured_peaks() {
    let k = kustomization();
    for (workload, _, container) in workload_containers(&k.objects) {
        let name = container["name"].as_str().unwrap();
        let limit = container["resources"]["limits"]["memory"]
            .as_str()
            .unwrap_or_else(|| panic!("{workload}/{name} has a memory limit"));
        assert!(
            container["resources"]["requests"]["memory"].is_string(),
            "{workload}/{name} requests memory"
        );
        if image(container).contains("keyshare") {
            let peak = match args(container)[0] {
                "watch" => APPLY_PEAK_MIB,
                "drift" => DRIFT_PEAK_MIB,
                other => panic!("keyshare {other}: which peak?"),
            };
            assert!(
                mebibytes(limit) as f64 >= peak as f64 * HEADROOM,
                "{workload}/{name}: limit {limit} against a measured peak of {peak} MiB"
            );
        }
    }
}

#[test]
fn the_drift_cronjob_keeps_its_cache_and_outlasts_a_cold_check() {
    let k = kustomization();
    let cronjob = k
        .objects
        .iter()
        .find(|object| object["kind"] == "CronJob")
        .expect("the drift CronJob");
    let deadline = cronjob["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"]
        .as_u64()
        .expect("a deadline");
    assert!(
        deadline >= COLD_CHECK_SECONDS,
        "activeDeadlineSeconds {deadline} cuts a cold check of {COLD_CHECK_SECONDS} s short"
    );
    assert_eq!(cronjob["spec"]["concurrencyPolicy"], "Forbid");

    // Every Job's pod is new, so only a volume that outlives the pod keeps the cache warm; the
    // controller's too, so that a restart is not a cold start.
    for (workload, spec) in pod_specs(&k.objects) {
        for container in containers(spec) {
            if !image(container).contains("keyshare") {
                continue;
            }
            let (dir, _) = &written_dirs(container)[0];
            let (volume, _) = mount_of(container, dir).expect("the cache is on a volume");
            let volume = spec["volumes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|v| v["name"] == volume)
                .unwrap();
            assert!(
                volume["persistentVolumeClaim"]["claimName"].is_string(),
                "{workload}: the key cache is on a claim, not {volume}"
            );
            // keyshare ignores a cache group or others can write; the kubelet's default
            // fsGroup handling (Always) makes the whole volume group-writable at every mount.
            if !spec["securityContext"]["fsGroup"].is_null() {
                assert_eq!(
                    spec["securityContext"]["fsGroupChangePolicy"], "OnRootMismatch",
                    "{workload}: a mount must keep the cache owner-only"
                );
            }
        }
    }
}
