package dev.hfwebhooks.journal;

import java.util.List;
import java.util.Optional;

/** Records nothing: serve without a journal, as before it had one. */
enum NoJournal implements Journal {
  INSTANCE;

  @Override
  public void enqueue(NewDelivery delivery) {
    throw new UnsupportedOperationException("no journal to queue deliveries in");
  }

  @Override
  public int acceptRunning(NewDelivery delivery) {
    return 1;
  }

  @Override
  public int start(String id, Trigger trigger) {
    return 1;
  }

  @Override
  public void finish(String id, int number, AttemptResult result, Status next) {}

  @Override
  public List<DeliverySummary> recover() {
    return List.of();
  }

  @Override
  public Optional<DeliveryRecord> find(String id) {
    return Optional.empty();
  }

  @Override
  public List<DeliverySummary> list(Query query) {
    return List.of();
  }

  @Override
  public String location() {
    return "none (--no-journal)";
  }

  @Override
  public void close() {}
}
