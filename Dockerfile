# keyshare: a small, non-root image with only the binaries and CA certificates: keyshare,
# and okta-sim, the offline Okta org (crates/okta-sim/README.md).
#
#   docker build -t keyshare .
#   docker run --rm -e OKTA_CLIENT_ORGURL -e OKTA_CLIENT_TOKEN -v "$PWD/desired:/config:ro" \
#     -p 9464:9464 keyshare watch /config --listen 0.0.0.0:9464
#   docker run --rm -p 8008:8008 --entrypoint okta-sim keyshare --addr 0.0.0.0:8008
#
# No credentials are baked in: pass OKTA_CLIENT_* at run time (docs/deploy/ uses a Secret).
# keyshare keeps its key-metadata cache (and the apply lock) in $XDG_CACHE_HOME/keyshare, else
# $HOME/.cache/keyshare: with a read-only root filesystem, point XDG_CACHE_HOME at a writable
# volume that outlives the container, or every check is cold (docs/deploy/README.md).

# Build stage: the toolchain the crate is developed with. aws-lc-rs compiles C, which the
# image's gcc handles; nothing else is needed.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
# The workspace's second crate: keyshare's simulator (`keyshare sim`, `demo`) and okta-sim.
COPY crates ./crates
# `keyshare demo` embeds the guide's example; Cargo.toml declares the planner benchmark.
COPY examples ./examples
COPY benches ./benches
RUN cargo build --release --locked \
 && strip target/release/keyshare target/release/okta-sim

# Runtime stage: glibc, libgcc and CA certificates, no shell, no package manager,
# user 65532 (nonroot).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/keyshare /usr/local/bin/keyshare
COPY --from=build /src/target/release/okta-sim /usr/local/bin/okta-sim
USER nonroot:nonroot
EXPOSE 9464
ENTRYPOINT ["keyshare"]
CMD ["--help"]
