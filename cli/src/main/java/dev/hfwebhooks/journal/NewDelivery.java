package dev.hfwebhooks.journal;

import java.time.Instant;
import java.util.Map;

/**
 * A delivery as it arrived, before any attempt: what the journal records first.
 *
 * @param id the delivery id ({@code X-Delivery-Id}, the handler's {@code WEBHOOK_DELIVERY_ID})
 * @param received when the request was accepted
 * @param handler the handler's name
 * @param body the request body exactly as received
 * @param headers the request headers, lower-case, without the secret
 */
@SuppressWarnings("ArrayRecordComponent") // bytes carried, never compared by equals
public record NewDelivery(
    String id, Instant received, String handler, byte[] body, Map<String, String> headers) {

  public NewDelivery {
    headers = Map.copyOf(headers);
  }
}
