package dev.hfwebhooks.payload;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A Hugging Face Hub webhook payload, version 3, as the Hub sends it.
 *
 * <p>Optional parts are {@code null} when the Hub left them out. Unknown fields are ignored, never
 * rejected: the Hub adds fields over time. {@link PayloadParser} builds and validates it.
 */
public record WebhookPayload(
    Event event,
    Repo repo,
    Webhook webhook,
    @Nullable Discussion discussion,
    @Nullable Comment comment,
    @Nullable MovedTo movedTo,
    @Nullable List<UpdatedRef> updatedRefs,
    @Nullable JsonNode updatedConfig) {

  /**
   * What happened: {@code action} on {@code scope} (e.g. {@code update} on {@code repo.content}).
   */
  public record Event(String action, String scope) {}

  /**
   * The repository the event is about. {@code headSha} is filled from the Hub's {@code headSha}
   * (huggingface_hub looks for {@code head_sha} and so never fills it).
   */
  public record Repo(
      String id,
      Owner owner,
      String name,
      boolean isPrivate,
      String type,
      Url url,
      @Nullable String headSha,
      @Nullable String subdomain,
      @Nullable List<String> tags) {}

  /** The Hub's id of a user or organisation. */
  public record Owner(String id) {}

  /** A web address and, for most objects, the matching API address ({@code null} when absent). */
  public record Url(String web, @Nullable String api) {}

  /** The webhook that fired; {@code version} is always 3. */
  public record Webhook(String id, int version) {}

  /** A discussion or pull request. */
  public record Discussion(
      String id,
      int num,
      Owner author,
      Url url,
      String title,
      boolean isPullRequest,
      String status,
      @Nullable Changes changes,
      @Nullable Boolean pinned) {}

  /** For a pull request: the target branch and, once merged, the merge commit. */
  public record Changes(String base, @Nullable String mergeCommitId) {}

  /** A comment; {@code content} is absent when the comment is hidden. */
  public record Comment(
      String id, Owner author, boolean hidden, @Nullable String content, Url url) {}

  /** Where a moved repository went. */
  public record MovedTo(String name, Owner owner) {}

  /** A git ref update; {@code oldSha} is null for a new ref, {@code newSha} for a deleted one. */
  public record UpdatedRef(String ref, @Nullable String oldSha, @Nullable String newSha) {}
}
