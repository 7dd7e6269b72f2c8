// Runs on every push to a repository you watch, and notes the pushes that reach main.
//
// Hub webhook: watch your models or datasets with the "Repo update" event.
// To have `hf-webhooks hub sync` or `serve --register` register it, add a comment line that
// starts with @watch, such as:  @watch model:you/your-model dataset:you/your-data
// Try it:  hf-webhooks test ../shared/payloads/model-repo-content-update.json --handler push-to-main

function handle(payload, context) {
  if (payload.event.scope !== "repo.content") {
    return { skipped: `not a push (scope ${payload.event.scope})` };
  }
  const main = (payload.updatedRefs || []).find((r) => r.ref === "refs/heads/main");
  if (!main) {
    return { skipped: "main did not move" };
  }
  const sha = (main.newSha || "").slice(0, 7);
  console.log(`${payload.repo.type} ${payload.repo.name}: main is now ${sha}`);
  // Whatever you return is the JSON answer the Hub records in the webhook's activity.
  return { repo: payload.repo.name, main: main.newSha, delivery: context.deliveryId };
}
