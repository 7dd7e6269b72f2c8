package dev.hfwebhooks.journal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  private final RetryPolicy policy =
      new RetryPolicy(3, Duration.ofSeconds(2), Duration.ofSeconds(10));

  @Test
  void theBackoffDoublesWithJitterBetweenHalfAndAllOfIt() {
    Random random = new Random(42);
    for (int round = 0; round < 200; round++) {
      assertThat(policy.delayAfter(1, random))
          .isBetween(Duration.ofSeconds(1), Duration.ofSeconds(2));
      assertThat(policy.delayAfter(2, random))
          .isBetween(Duration.ofSeconds(2), Duration.ofSeconds(4));
      assertThat(policy.delayAfter(3, random))
          .isBetween(Duration.ofSeconds(4), Duration.ofSeconds(8));
    }
  }

  @Test
  void theBackoffStopsGrowingAtTheCap() {
    Random random = new Random(42);
    assertThat(policy.delayAfter(30, random))
        .isBetween(Duration.ofSeconds(5), Duration.ofSeconds(10));
  }

  @Test
  void twoDeliveriesThatFailedTogetherDoNotComeBackTogether() {
    Random random = new Random(1);
    assertThat(policy.delayAfter(2, random)).isNotEqualTo(policy.delayAfter(2, random));
  }

  @Test
  void retriesAfterEachAttemptUntilTheyAreUsedUp() {
    assertThat(policy.retriesAfter(1)).isTrue();
    assertThat(policy.retriesAfter(3)).isTrue();
    assertThat(policy.retriesAfter(4)).isFalse();
    assertThat(RetryPolicy.of(0, Duration.ofSeconds(1)).retriesAfter(1)).isFalse();
  }
}
