package io.postwire.inboxtest;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postwire.platform.Refusal;
import io.postwire.security.ApiPrincipal;
import io.postwire.security.CurrentPrincipal;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Without an inbound domain there is nowhere to receive mail: creating a test is refused. */
class InboxTestResourceTest {

  @Test
  void creatingATestWithoutAnInboundDomainIsRefusedNamingTheSetting() {
    CurrentPrincipal caller =
        new CurrentPrincipal() {
          @Override
          public ApiPrincipal get() {
            return new ApiPrincipal(UUID.randomUUID(), "k", true, Set.of());
          }
        };
    InboundDomainSetting unset = Optional::empty;
    InboxTestConfig config = () -> Duration.ofHours(24);
    InboxTestResource resource = new InboxTestResource(null, config, unset, caller, null);
    assertThatThrownBy(resource::create)
        .isInstanceOfSatisfying(
            Refusal.class,
            r -> {
              org.assertj.core.api.Assertions.assertThat(r.kind()).isEqualTo(Refusal.Kind.INVALID);
              org.assertj.core.api.Assertions.assertThat(r.code())
                  .isEqualTo("inbound_not_configured");
              org.assertj.core.api.Assertions.assertThat(r.detail())
                  .contains("postwire.inbound.domain");
            });
    InboundDomainSetting blank = () -> Optional.of("  ");
    assertThatThrownBy(new InboxTestResource(null, config, blank, caller, null)::create)
        .isInstanceOf(Refusal.class);
  }
}
