package dev.hfwebhooks.hub;

import org.jspecify.annotations.Nullable;

/** A call to the Hub that failed, with one line that says what to do about it. */
public final class HubException extends Exception {

  /** What went wrong, so a command can pick its exit code. */
  public enum Kind {
    /** No token anywhere huggingface_hub looks. */
    NO_TOKEN(true),
    /** HF_ENDPOINT is not an http(s) URL. */
    BAD_ENDPOINT(true),
    /** 401: the token is wrong or revoked. */
    BAD_TOKEN(true),
    /** 403: the token may not manage webhooks. */
    FORBIDDEN(true),
    /** 404 on create or update: a watched repository, user or org does not exist. */
    UNKNOWN_REPO(true),
    /** 404 (or 401 RepoNotFound): what the call names does not exist, or is hidden. */
    NOT_FOUND(true),
    /** 402: the account's plan does not allow it (Docker Spaces on free hardware). */
    PAYMENT_REQUIRED(true),
    /** 400, 409 or 422: the Hub refused what was sent, and said why. */
    REFUSED(true),
    /** 412: the repository moved on between reading it and committing to it. */
    CHANGED_MEANWHILE(false),
    /** 429: too many calls; the message says how long to wait. */
    RATE_LIMITED(false),
    /** No answer: no network, a wrong HF_ENDPOINT, a timeout. */
    UNREACHABLE(false),
    /** A 5xx, or an answer that is not what huggingface_hub expects either. */
    HUB_FAILED(false);

    private final boolean userCanFix;

    Kind(boolean userCanFix) {
      this.userCanFix = userCanFix;
    }

    /** True when the fix is in the user's hands (token, directives), not the Hub's or network's. */
    public boolean userCanFix() {
      return userCanFix;
    }
  }

  private final Kind kind;
  private final String message;

  public HubException(Kind kind, String message) {
    this(kind, message, null);
  }

  public HubException(Kind kind, String message, @Nullable Throwable cause) {
    super(message, cause);
    this.kind = kind;
    this.message = message;
  }

  /** The one line; never null, where {@link Throwable#getMessage} may be. */
  @Override
  public String getMessage() {
    return message;
  }

  public Kind kind() {
    return kind;
  }
}
