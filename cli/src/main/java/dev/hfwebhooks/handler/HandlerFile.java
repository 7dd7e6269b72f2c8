package dev.hfwebhooks.handler;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * A webhook that will be served, as discovery found it (nothing loaded yet).
 *
 * @param name the route's name: {@code /webhooks/<name>}
 * @param path the file that serves it
 * @param function for a route a Python file registers the way huggingface_hub does, the function
 *     that serves it; null for a file served whole (its {@code handle}, a script, a process)
 * @param problem what discovery already knows keeps it from running (a Python syntax error, no
 *     Python), or null
 */
public record HandlerFile(
    String name, HandlerKind kind, Path path, @Nullable String function, @Nullable String problem) {
  public HandlerFile(String name, HandlerKind kind, Path path) {
    this(name, kind, path, null, null);
  }

  /** The path part of the URL the Hub posts to. */
  public String route() {
    return "/webhooks/" + name;
  }
}
