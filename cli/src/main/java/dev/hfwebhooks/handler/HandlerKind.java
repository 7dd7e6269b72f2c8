package dev.hfwebhooks.handler;

/** How a handler file runs. */
public enum HandlerKind {
  /** A {@code .js} script or {@code .mjs} module, run in-process by GraalVM JavaScript. */
  JS("js"),
  /**
   * A {@code .py} file that defines {@code handle(payload, context)} or registers routes through
   * huggingface_hub's {@code webhook_endpoint} / {@code WebhooksServer}: run by warm CPython
   * workers.
   */
  PYTHON("python"),
  /** A file with the execute bit, run as a process (its shebang decides the interpreter). */
  PROCESS("process"),
  /** A {@code .sh} file without the execute bit, run as a process with {@code sh}. */
  SHELL("sh");

  private final String label;

  HandlerKind(String label) {
    this.label = label;
  }

  /** The short name shown by {@code list} and the landing page. */
  public String label() {
    return label;
  }
}
