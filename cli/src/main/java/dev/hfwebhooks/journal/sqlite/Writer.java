package dev.hfwebhooks.journal.sqlite;

import static dev.hfwebhooks.journal.sqlite.Statements.execute;

import dev.hfwebhooks.journal.DeliveryBusy;
import dev.hfwebhooks.journal.JournalException;
import dev.hfwebhooks.journal.sqlite.Entry.Logged;
import dev.hfwebhooks.journal.sqlite.Entry.Write;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The one thread all writes go through, committing them in batches: SQLite, which allows one writer
 * at a time, never sees two of ours compete. It takes writes someone waits for, and, opened for
 * serve, writes already in the {@link JournalLog}, which nobody waits for: those it gathers for up
 * to {@link #GATHER}, a few hundred per transaction.
 */
final class Writer {
  /**
   * How long the writer gathers logged writes before it commits them, when nobody waits: the
   * longer, the fewer commits under load, and the later another process sees a delivery.
   */
  static final Duration GATHER = Duration.ofMillis(20);

  /** Writes committed together at most; more wait for the next commit. */
  private static final int MAX_BATCH = 4096;

  /** How long the writer waits before it tries again a logged write the database refused. */
  private static final Duration STALLED_RETRY = Duration.ofSeconds(1);

  /** A write that does nothing: waiting for it waits for every write handed over before. */
  private static final Statements.Work<Boolean> NOTHING = sql -> true;

  private static final Write STOP = new Write(NOTHING, false, false, new CompletableFuture<>());

  private final Path file;
  private final Statements sql;
  private final Pruner pruner;

  /** The write-ahead log, when opened for serve; null otherwise. */
  private final @Nullable JournalLog log;

  private final BlockingQueue<Entry> writes = new LinkedBlockingQueue<>();
  private final Thread thread;

  /** Set when a write someone waits for is queued: the writer then stops gathering. */
  private volatile boolean waited;

  private boolean closed; // under writes

  /** Logged writes appended, and how many of them the database has. */
  private volatile long appended;

  private volatile long applied;

  /**
   * Per delivery, its latest logged write the database does not have yet: a worker starting it
   * reads it from here, or knows what to wait for before it reads the database.
   */
  private final Map<String, Logged> unapplied = new ConcurrentHashMap<>();

  /**
   * Logged writes the database refused (locked by another program, disk full), with those after
   * them, to try again (writer thread only).
   */
  private final List<Entry> stalled = new ArrayList<>();

  /** What the server's log learns of the disk while serving: each trouble said once. */
  private final Troubles troubles;

  /** The connection's synchronous setting: FULL as opened, then as each batch needs. */
  private boolean syncing = true;

  /** Starts the writer on {@code sql}'s connection, which it closes when it stops. */
  Writer(
      Path file,
      Statements sql,
      Pruner pruner,
      @Nullable JournalLog log,
      Consumer<String> warnings) {
    this.file = file;
    this.sql = sql;
    this.pruner = pruner;
    this.log = log;
    this.troubles = new Troubles(file, warnings);
    this.thread = Thread.ofPlatform().daemon().name("hf-webhooks-journal").start(this::loop);
  }

  /**
   * Hands {@code work} to the writer thread and waits until it is committed ({@code synced}: and on
   * the disk); {@code inserts} when it adds a delivery.
   */
  @SuppressWarnings("unchecked")
  <T> T write(boolean inserts, boolean synced, Statements.Work<T> work) {
    CompletableFuture<Object> done = new CompletableFuture<>();
    // Checked and added under the lock close() takes: no write can land behind the writer's STOP
    // and wait forever.
    synchronized (writes) {
      if (closed) {
        throw Errors.closed(file);
      }
      if (troubles.gone()) {
        throw troubles.refusal();
      }
      writes.add(new Write(work, inserts, synced, done));
    }
    waited = true; // cuts short the writer's gathering
    LockSupport.unpark(thread);
    try {
      return (T) done.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof DeliveryBusy busy) {
        throw busy; // an answer, not a failure: its type says so to the caller
      }
      if (e.getCause() instanceof JournalException journal) {
        // Rethrown from this thread, so that its stack trace shows the caller.
        throw new JournalException(journal.getMessage(), journal);
      }
      throw new JournalException("journal " + file + ": " + e.getCause(), e.getCause());
    }
  }

  /**
   * Appends a write to the log and hands it to the writer thread, in the same order. The first
   * write into an empty queue wakes the writer; the others do not, so a delivery pays for no
   * hand-over.
   */
  JournalLog.Position append(LogRecord record) {
    byte[] frame = record.encode(JournalLog.HEADER);
    JournalLog.Position[] end = new JournalLog.Position[1];
    synchronized (writes) {
      if (closed) {
        throw Errors.closed(file);
      }
      if (troubles.gone()) {
        throw troubles.refusal();
      }
      try {
        log()
            .append(
                frame,
                position -> {
                  end[0] = position;
                  Logged logged = new Logged(record, position, ++appended);
                  unapplied.put(record.deliveryId(), logged);
                  writes.add(logged);
                });
      } catch (IOException e) {
        throw Errors.log(file, "write", e);
      }
    }
    return end[0];
  }

  /** Puts what the log holds up to {@code end} on the disk. */
  void sync(JournalLog.Position end) {
    try {
      log().sync(end);
    } catch (IOException e) {
      throw Errors.log(file, "write", e);
    }
  }

  /** The log, which only a journal opened for serve has: only serve's writes come here. */
  private JournalLog log() {
    if (log == null) {
      throw new IllegalStateException("journal opened without a log");
    }
    return log;
  }

  /** The latest logged write for delivery {@code id} that the database does not have, or null. */
  @Nullable Logged unapplied(String id) {
    return unapplied.get(id);
  }

  /** Whether the database has {@code logged}. */
  boolean applied(Logged logged) {
    return applied >= logged.count();
  }

  /** Waits until the database has every write logged so far: read your writes. */
  void catchUp() {
    if (applied < appended) {
      awaitAll();
    }
  }

  /** Waits until the database has every write handed over so far, logged or not. */
  void awaitAll() {
    write(false, false, NOTHING);
  }

  private void loop() {
    List<Entry> batch = new ArrayList<>();
    while (true) {
      if (stalled.isEmpty()) {
        Entry next;
        try {
          next = writes.poll(Troubles.PERIOD.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          return;
        }
        if (next == null) {
          troubles.check();
          continue;
        }
        batch.add(next);
        if (batch.getFirst() instanceof Logged) {
          // Nobody waits for it: gather more for the same commit, until someone waits. Checked
          // by a flag, not only by unpark(): take() may have used up the unpark's permit.
          long deadline = System.nanoTime() + GATHER.toNanos();
          for (long left = GATHER.toNanos();
              !waited && left > 0;
              left = deadline - System.nanoTime()) {
            LockSupport.parkNanos(this, left);
          }
        }
      } else {
        LockSupport.parkNanos(STALLED_RETRY.toNanos());
        batch.addAll(stalled);
        stalled.clear();
      }
      waited = false; // before the drain: a write added after it sets it again
      writes.drainTo(batch, Math.max(0, MAX_BATCH - batch.size()));
      boolean stop = batch.remove(STOP);
      troubles.check(); // a stat per batch, not per delivery
      if (!batch.isEmpty()) {
        try {
          commit(batch);
        } catch (Throwable e) {
          // An Error (out of memory, say) must not end this thread: every later write would wait
          // for it forever. Those waited for fail; logged ones are tried again.
          rollback();
          stall(batch, 0, e);
        }
      }
      batch.clear();
      troubles.stalled(!stalled.isEmpty());
      if (stop) {
        return;
      }
    }
  }

  /**
   * Runs a batch in one transaction. Should it fail as a whole (disk full, a lock), each write is
   * tried again alone, so that one write's failure reaches only its own caller; a logged write the
   * database refuses stays in the log, with those after it, and is tried again a moment later.
   */
  private void commit(List<Entry> batch) {
    boolean sync = false;
    long inserted = 0;
    for (Entry entry : batch) {
      if (entry instanceof Write w) {
        sync |= w.synced();
        inserted += w.inserts() ? 1 : 0;
      } else if (((Logged) entry).record() instanceof LogRecord.Received) {
        inserted++;
      }
    }
    // A full log file is let go of after this commit, so the commit must be on the disk first.
    boolean releasesLog = log != null && log.hasFull();
    sync |= releasesLog;
    List<Object> results = new ArrayList<>(batch.size());
    try {
      if (sync != syncing) {
        execute(sql.connection, "PRAGMA synchronous = " + (sync ? "FULL" : "NORMAL"));
        syncing = sync;
      }
      sql.prepare("BEGIN IMMEDIATE").execute();
      JournalLog.Position last = LogApplier.apply(sql, batch, results);
      pruner.afterInserts(sql.connection, inserted);
      sql.prepare("COMMIT").execute();
      int next = 0;
      for (Entry entry : batch) {
        if (entry instanceof Write w) {
          w.done().complete(results.get(next++));
        } else if (entry instanceof Logged logged) {
          applied = Math.max(applied, logged.count());
          unapplied.remove(logged.record().deliveryId(), logged);
        }
      }
      if (last != null && log != null) {
        moveLogOn(log, releasesLog, last);
      }
      return;
    } catch (SQLException | RuntimeException e) {
      rollback();
      if (batch.size() == 1) {
        stall(batch, 0, e);
        return;
      }
    }
    for (int i = 0; i < batch.size(); i++) {
      commit(List.of(batch.get(i)));
      if (!stalled.isEmpty()) {
        stall(batch, i + 1, null);
        return;
      }
    }
  }

  /**
   * After a failure: the writes waited for from {@code from} on fail with it, and the logged ones
   * wait for the next try, in order.
   */
  private void stall(List<Entry> batch, int from, @Nullable Throwable e) {
    JournalException why =
        e == null
            ? new JournalException(
                "the journal %s cannot take the deliveries its log holds yet".formatted(file))
            : Errors.failure(file, e);
    if (e != null) {
      troubles.refused(why.getMessage());
    }
    for (Entry entry : batch.subList(from, batch.size())) {
      if (entry instanceof Write w) {
        w.done().completeExceptionally(why);
      } else {
        stalled.add(entry);
      }
    }
  }

  /**
   * Lets go of the full log files the database now has all of (when this commit was synced for it),
   * and makes the next file ready before the one in use is full.
   */
  private void moveLogOn(JournalLog log, boolean releasesLog, JournalLog.Position last) {
    try {
      if (releasesLog) {
        log.releaseBefore(last.generation());
      }
      log.prepareSpare();
    } catch (IOException e) {
      // The files stay, and the next start deletes what the database already has; without a
      // spare, the next file is made when it is needed.
    }
  }

  private void rollback() {
    sql.forget();
    try {
      execute(sql.connection, "ROLLBACK");
    } catch (SQLException e) {
      // No transaction left to undo (it failed before BEGIN, or SQLite already rolled it back).
    }
  }

  /** Waits for the writes already handed over, then closes the connection (and the log). */
  void close() {
    synchronized (writes) {
      if (closed) {
        return;
      }
      closed = true;
    }
    writes.add(STOP);
    LockSupport.unpark(thread);
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (log != null) {
      closeLog(log);
    }
    sql.close();
  }

  /**
   * Deletes the log when the database has all of it, once that is on the disk (a checkpoint syncs
   * the WAL first); keeps it for the next start otherwise.
   */
  private void closeLog(JournalLog log) {
    boolean applyAll = stalled.isEmpty() && applied == appended;
    if (applyAll) {
      try {
        execute(sql.connection, "PRAGMA wal_checkpoint(FULL)");
      } catch (SQLException e) {
        applyAll = false;
      }
    }
    if (!applyAll) {
      troubles.stoppedWithLog(appended - applied);
    }
    try {
      log.close(applyAll);
    } catch (IOException e) {
      // Left behind: the next start finds the database has these records and deletes them.
    }
  }
}
