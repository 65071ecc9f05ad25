// Keeps keyshare's pull-request comment in place: the comments whose body starts with `marker`
// are updated with the new parts (comment-1.md, comment-2.md… written by scripts/plan.sh),
// missing ones are created and left-over ones deleted, so a pull request never collects a
// new comment per push. When there are several parts, each part's
// `<!-- keyshare:part-links -->` placeholder is then replaced with links to all of them (only
// after posting are their URLs known). No parts at all (keyshare never ran, say) changes
// nothing. Called from actions/github-script in keyshare-plan.yml.
const fs = require('fs');
const path = require('path');

const PART_LINKS = '<!-- keyshare:part-links -->';

module.exports = async ({ github, context, dir, marker }) => {
  const number = (name) => Number(name.match(/\d+/)[0]);
  const parts = fs
    .readdirSync(dir)
    .filter((name) => /^comment-\d+\.md$/.test(name))
    .sort((a, b) => number(a) - number(b))
    .map((name) => fs.readFileSync(path.join(dir, name), 'utf8'));
  if (parts.length === 0) {
    return;
  }
  const { owner, repo } = context.repo;
  const issue_number = context.issue.number;
  const comments = await github.paginate(github.rest.issues.listComments, {
    owner,
    repo,
    issue_number,
    per_page: 100,
  });
  const ours = comments.filter((c) => (c.body || '').startsWith(marker));
  const posted = [];
  for (const [i, body] of parts.entries()) {
    if (i < ours.length) {
      const { data } = await github.rest.issues.updateComment({ owner, repo, comment_id: ours[i].id, body });
      posted.push(data);
    } else {
      const { data } = await github.rest.issues.createComment({ owner, repo, issue_number, body });
      posted.push(data);
    }
  }
  if (posted.length > 1) {
    const links = 'Parts: ' + posted.map((c, i) => `[${i + 1}](${c.html_url})`).join(' · ');
    for (const [i, comment] of posted.entries()) {
      const body = parts[i].replace(PART_LINKS, links);
      await github.rest.issues.updateComment({ owner, repo, comment_id: comment.id, body });
    }
  }
  for (const extra of ours.slice(parts.length)) {
    await github.rest.issues.deleteComment({ owner, repo, comment_id: extra.id });
  }
};
