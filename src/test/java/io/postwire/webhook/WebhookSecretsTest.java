package io.postwire.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The signature is the Standard Webhooks one: the specification's own example. */
class WebhookSecretsTest {

  @Test
  void signsAsTheSpecificationsExample() {
    byte[] key = Base64.getDecoder().decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    assertThat(
            WebhookSecrets.sign(
                key,
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8)))
        .isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  }

  @Test
  void aSecretIsWhsecAndTheBase64OfItsKey() {
    byte[] key = new byte[32];
    key[0] = 7;
    String text = WebhookSecrets.text(key);
    assertThat(text).startsWith("whsec_");
    assertThat(Base64.getDecoder().decode(text.substring(6))).isEqualTo(key);
  }
}
