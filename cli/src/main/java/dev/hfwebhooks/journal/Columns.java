package dev.hfwebhooks.journal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.hfwebhooks.payload.Json;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** How both journals read the columns they store alike: nullable numbers, the headers' JSON. */
public final class Columns {
  private Columns() {}

  /** An integer column, null when SQL NULL (getInt alone gives 0). */
  public static @Nullable Integer integer(ResultSet rs, String column) throws SQLException {
    int value = rs.getInt(column);
    return rs.wasNull() ? null : value;
  }

  /** A bigint column, null when SQL NULL. */
  public static @Nullable Long longOrNull(ResultSet rs, String column) throws SQLException {
    long value = rs.getLong(column);
    return rs.wasNull() ? null : value;
  }

  /** The headers as stored (a JSON object); none when a hand edit broke them. */
  public static Map<String, String> headers(String json) {
    try {
      return Json.MAPPER.readValue(json, new TypeReference<Map<String, String>>() {});
    } catch (JsonProcessingException e) {
      return Map.of();
    }
  }
}
