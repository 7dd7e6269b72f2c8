package dev.hfwebhooks.handler;

import java.nio.file.Path;

/**
 * A file in the handlers folder that will be served, as discovery found it (nothing loaded yet).
 */
public record HandlerFile(String name, HandlerKind kind, Path path) {
  /** The path part of the URL the Hub posts to. */
  public String route() {
    return "/webhooks/" + name;
  }
}
