// Keeps keyshare's pull-request comment in place: the comments whose body starts with `marker`
// are updated with the new parts (comment-1.md, comment-2.md… written by scripts/plan.sh),
// missing ones are created and left-over ones deleted, so a pull request never collects a
// new comment per push. Called from actions/github-script in keyshare-plan.yml.
const fs = require('fs');
const path = require('path');

module.exports = async ({ github, context, dir, marker }) => {
  const number = (name) => Number(name.match(/\d+/)[0]);
  const parts = fs
    .readdirSync(dir)
    .filter((name) => /^comment-\d+\.md$/.test(name))
    .sort((a, b) => number(a) - number(b))
    .map((name) => fs.readFileSync(path.join(dir, name), 'utf8'));
  const { owner, repo } = context.repo;
  const issue_number = context.issue.number;
  const comments = await github.paginate(github.rest.issues.listComments, {
    owner,
    repo,
    issue_number,
    per_page: 100,
  });
  const ours = comments.filter((c) => (c.body || '').startsWith(marker));
  for (const [i, body] of parts.entries()) {
    if (i < ours.length) {
      await github.rest.issues.updateComment({ owner, repo, comment_id: ours[i].id, body });
    } else {
      await github.rest.issues.createComment({ owner, repo, issue_number, body });
    }
  }
  for (const extra of ours.slice(parts.length)) {
    await github.rest.issues.deleteComment({ owner, repo, comment_id: extra.id });
  }
};
