package io.postwire.domain;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;

/** A registered sending domain (the {@code domain} table). */
@Entity
@Table(name = "domain")
public class DomainEntity extends PanacheEntityBase {

  @Id
  @Column(columnDefinition = "text")
  public String name;

  @Column(name = "created_at", nullable = false)
  public OffsetDateTime createdAt;

  /** The domain's own return-path domain (VERP envelope senders), or null for the default. */
  @Column(name = "return_path", columnDefinition = "text")
  public String returnPath;
}
