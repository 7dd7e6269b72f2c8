// Runs on every push to main of a repository you watch.
//
// Hub webhook: watch your models or datasets with the "Repo update" event.
// To have `hf-webhooks hub sync` or `serve --register` register it, add a comment line that
// starts with @watch, such as:  @watch model:you/your-model dataset:you/your-data
// Try it:  hf-webhooks test ../shared/payloads/model-repo-content-update.json --handler push-to-main
//
// Pushes that do not reach main are answered 200 "filtered" and never run it:
// @filter event.scope == repo.content
// @filter updatedRefs.ref == refs/heads/main

function handle(payload, context) {
  const main = payload.updatedRefs.find((r) => r.ref === "refs/heads/main");
  const sha = (main.newSha || "").slice(0, 7);
  console.log(`${payload.repo.type} ${payload.repo.name}: main is now ${sha}`);
  // Whatever you return is the JSON answer the Hub records in the webhook's activity.
  return { repo: payload.repo.name, main: main.newSha, delivery: context.deliveryId };
}
