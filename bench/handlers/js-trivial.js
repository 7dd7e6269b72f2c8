// The trivial JavaScript handler of the benchmark: reads the payload, answers a small object.
function handle(payload) {
  return { ok: true, repo: payload.repo.name };
}
