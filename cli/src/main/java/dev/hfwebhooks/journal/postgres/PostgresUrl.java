package dev.hfwebhooks.journal.postgres;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A journal's database as users write it, the way libpq and every PostgreSQL tool do: {@code
 * postgresql://user:password@host:port/database?sslmode=require}. The password is kept apart from
 * what is shown: {@link #toString()} never prints it.
 *
 * @param host the server's host name or address
 * @param port its port
 * @param database the database
 * @param user the user, or null for the driver's default (the account name)
 * @param password the password, or null
 * @param parameters the query parameters, passed on to the driver (sslmode, connect_timeout...)
 */
public record PostgresUrl(
    String host,
    int port,
    String database,
    @Nullable String user,
    @Nullable String password,
    Map<String, String> parameters) {

  private static final Pattern SCHEME =
      Pattern.compile("^postgres(ql)?://", Pattern.CASE_INSENSITIVE);

  /** libpq's names for what pgjdbc calls otherwise; the others are the same in both. */
  private static final Map<String, String> RENAMED =
      Map.of("connect_timeout", "connectTimeout", "application_name", "ApplicationName");

  public PostgresUrl {
    // In the order given: shown back as the user wrote them.
    parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
  }

  /** Whether {@code text} is meant as a PostgreSQL URL (and not a file). */
  public static boolean isOne(String text) {
    return SCHEME.matcher(text.strip()).find();
  }

  /** Reads a URL; an unusable one is an {@link IllegalArgumentException} that says why. */
  public static PostgresUrl parse(String text) {
    String url = text.strip();
    if (!isOne(url)) {
      throw new IllegalArgumentException(
          "'%s' is not a PostgreSQL URL: write postgresql://user:password@host:5432/database"
              .formatted(redact(url)));
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "'%s' is not a valid URL (%s): percent-encode special characters in the password"
              .formatted(redact(url), e.getReason()));
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException(
          "'%s' names no host: write postgresql://user:password@host:5432/database"
              .formatted(redact(url)));
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    String database = decode(path.startsWith("/") ? path.substring(1) : path);
    if (database.isEmpty() || database.contains("/")) {
      throw new IllegalArgumentException(
          "'%s' names no database: add it after the host, as in postgresql://host:5432/hooks"
              .formatted(redact(url)));
    }
    String user = null;
    String password = null;
    String info = uri.getRawUserInfo();
    if (info != null && !info.isEmpty()) {
      int colon = info.indexOf(':');
      user = decode(colon < 0 ? info : info.substring(0, colon));
      password = colon < 0 ? null : decode(info.substring(colon + 1));
    }
    Map<String, String> parameters = new LinkedHashMap<>();
    if (uri.getRawQuery() != null) {
      for (String pair : uri.getRawQuery().split("&", -1)) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String name = decode(eq < 0 ? pair : pair.substring(0, eq));
        String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
        if (name.equals("user") || name.equals("password")) {
          if (name.equals("user")) {
            user = value;
          } else {
            password = value;
          }
          continue;
        }
        parameters.put(RENAMED.getOrDefault(name.toLowerCase(Locale.ROOT), name), value);
      }
    }
    return new PostgresUrl(
        host, uri.getPort() < 0 ? 5432 : uri.getPort(), database, user, password, parameters);
  }

  /** The driver's URL: host, port and database only; the rest goes in {@link #properties()}. */
  public String jdbcUrl() {
    String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    return "jdbc:postgresql://" + h + ":" + port + "/" + database;
  }

  /** User, password and the parameters, as the driver takes them. */
  public Properties properties() {
    Properties properties = new Properties();
    parameters.forEach(properties::setProperty);
    if (user != null) {
      properties.setProperty("user", user);
    }
    if (password != null) {
      properties.setProperty("password", password);
    }
    return properties;
  }

  /** The URL as shown in messages: the password replaced by {@code ***}. */
  @Override
  public String toString() {
    StringBuilder shown = new StringBuilder("postgresql://");
    if (user != null) {
      shown.append(user);
      if (password != null) {
        shown.append(":***");
      }
      shown.append('@');
    }
    shown.append(host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host);
    shown.append(':').append(port).append('/').append(database);
    String query =
        String.join(
            "&",
            parameters.entrySet().stream()
                .map(e -> e.getKey() + (e.getValue().isEmpty() ? "" : "=" + e.getValue()))
                .toList());
    return query.isEmpty() ? shown.toString() : shown + "?" + query;
  }

  /** What a URL we could not read shows: anything between {@code ://} and {@code @} hidden. */
  static String redact(String url) {
    return url.replaceAll("(?<=://)[^@/]*@", "***@")
        .replaceAll("(?i)password=[^&]*", "password=***");
  }

  private static String decode(String text) {
    return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
  }
}
