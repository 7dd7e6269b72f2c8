package dev.hfwebhooks.journal;

/** The journal cannot be read or written; the message says what to do about it. */
public class JournalException extends RuntimeException {
  public JournalException(String message, Throwable cause) {
    super(message, cause);
  }

  public JournalException(String message) {
    super(message);
  }
}
