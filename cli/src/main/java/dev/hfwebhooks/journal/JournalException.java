package dev.hfwebhooks.journal;

import org.jspecify.annotations.Nullable;

/** The journal cannot be read or written; the message says what to do about it. */
public class JournalException extends RuntimeException {
  public JournalException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }

  public JournalException(String message) {
    super(message);
  }

  /** Never null: every journal failure says what is wrong. */
  @Override
  public String getMessage() {
    String message = super.getMessage();
    return message != null ? message : getClass().getSimpleName();
  }
}
