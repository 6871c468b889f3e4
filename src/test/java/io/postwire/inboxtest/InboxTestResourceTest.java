package io.postwire.inboxtest;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.postwire.inbound.InboundConfig;
import io.postwire.platform.Refusal;
import io.postwire.security.ApiPrincipal;
import io.postwire.security.CurrentPrincipal;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Without an inbound domain there is nowhere to receive mail: creating a test is refused. */
class InboxTestResourceTest {

  /** Inbound settings with only {@code domain} answered (all the resource reads). */
  static InboundConfig inbound(Optional<String> domain) {
    return (InboundConfig)
        Proxy.newProxyInstance(
            InboundConfig.class.getClassLoader(),
            new Class<?>[] {InboundConfig.class},
            (proxy, method, args) -> {
              if (method.getName().equals("domain")) {
                return domain;
              }
              throw new UnsupportedOperationException(method.getName());
            });
  }

  @Test
  void creatingATestWithoutAnInboundDomainIsRefusedNamingTheSetting() {
    CurrentPrincipal caller =
        new CurrentPrincipal() {
          @Override
          public ApiPrincipal get() {
            return new ApiPrincipal(UUID.randomUUID(), "k", true, Set.of());
          }
        };
    InboundConfig unset = inbound(Optional.empty());
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
    InboundConfig blank = inbound(Optional.of("  "));
    assertThatThrownBy(new InboxTestResource(null, config, blank, caller, null)::create)
        .isInstanceOf(Refusal.class);
  }
}
