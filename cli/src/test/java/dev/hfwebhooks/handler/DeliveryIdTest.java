package dev.hfwebhooks.handler;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class DeliveryIdTest {
  @Test
  void idsAreVersion7UuidsThatSortInTheOrderTheyWereMade() throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(Delivery.newId());
      Thread.sleep(2); // ids of one millisecond share their time part; order is by millisecond
    }

    assertThat(ids).isSorted().doesNotHaveDuplicates();
    for (String id : ids) {
      UUID uuid = UUID.fromString(id);
      assertThat(uuid.version()).isEqualTo(7);
      assertThat(uuid.variant()).isEqualTo(2);
      assertThat(uuid.getMostSignificantBits() >>> 16)
          .isCloseTo(System.currentTimeMillis(), org.assertj.core.data.Offset.offset(60_000L));
    }
  }
}
