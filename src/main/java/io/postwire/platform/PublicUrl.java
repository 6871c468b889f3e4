package io.postwire.platform;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithParentName;
import java.net.URI;
import java.util.Optional;

/**
 * The external base URL of this service ({@code postwire.public-url}), under which recipients reach
 * unsubscribe and tracking links. Required only when a send asks for either; without it such a send
 * is refused, never rendered with a link nobody can follow.
 */
// The prefix is the property itself (not "postwire"): a mapping rooted at "postwire" would claim
// every postwire.* name and refuse those that other mappings or test resources own.
@ConfigMapping(prefix = "postwire.public-url")
public interface PublicUrl {

  /** The base URL, e.g. {@code https://mail.example.com}; a trailing slash is ignored. */
  @WithParentName
  Optional<URI> publicUrl();

  /** The base URL followed by {@code path} (which starts with a slash), if a base is configured. */
  default Optional<String> resolve(String path) {
    return publicUrl()
        .map(
            base -> {
              String text = base.toString();
              return (text.endsWith("/") ? text.substring(0, text.length() - 1) : text) + path;
            });
  }
}
