package dev.hfwebhooks.journal.postgres;

import dev.hfwebhooks.journal.JournalException;
import java.sql.SQLException;
import org.jspecify.annotations.Nullable;

/**
 * One line for what went wrong with the journal's database, saying what to do: the URL, the
 * credentials, the network or the permissions. Never the password: the URL is shown without it.
 */
final class PostgresErrors {
  private PostgresErrors() {}

  /** {@code e}, or the first {@link SQLException} that caused it, in one line. */
  static JournalException translate(PostgresUrl url, Exception e) {
    SQLException sql = sqlCause(e);
    String state = sql == null || sql.getSQLState() == null ? "" : sql.getSQLState();
    String message = firstLine(sql != null ? sql.getMessage() : e.getMessage());
    String what;
    if (state.startsWith("08") || state.equals("57P01") || state.equals("57P03")) {
      // connection_exception, admin_shutdown, cannot_connect_now
      what =
          "cannot reach the journal's database %s:%d (%s): check that PostgreSQL runs there and"
                  .formatted(url.host(), url.port(), message)
              + " that this machine may connect";
    } else if (state.equals("28P01") || state.equals("28000")) {
      what =
          "the journal's database refused %s (%s): check the user and password in --journal"
              .formatted(url.user() == null ? "the login" : "user " + url.user(), message);
    } else if (state.equals("3D000")) {
      what =
          "there is no database %s on %s:%d: create it (createdb %s) or fix --journal"
              .formatted(url.database(), url.host(), url.port(), url.database());
    } else if (state.equals("42501")) {
      what =
          "%s may not use the journal's tables in %s (%s): grant it CREATE on the database, or"
                  .formatted(
                      url.user() == null ? "this login" : "user " + url.user(),
                      url.database(),
                      message)
              + " have the owner run serve once to create them";
    } else if (state.equals("53100")) {
      what = "the journal's database %s is out of disk space (%s)".formatted(url, message);
    } else if (sql == null && isTimeout(e)) {
      what =
          "the journal's database %s did not answer in time (%s): check that it runs and is"
                  .formatted(url, message)
              + " reachable";
    } else {
      what = "journal %s: %s".formatted(url, message);
    }
    return new JournalException(what, e);
  }

  private static @Nullable SQLException sqlCause(Throwable e) {
    SQLException found = null;
    for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
      if (t instanceof SQLException sql) {
        // The innermost with a state: the pool's timeout wraps the driver's reason.
        if (found == null || sql.getSQLState() != null) {
          found = sql;
        }
      }
    }
    return found;
  }

  private static boolean isTimeout(Throwable e) {
    return String.valueOf(e.getMessage()).contains("timed out");
  }

  private static String firstLine(@Nullable String message) {
    if (message == null) {
      return "no reason given";
    }
    int newline = message.indexOf('\n');
    return (newline < 0 ? message : message.substring(0, newline)).strip();
  }
}
