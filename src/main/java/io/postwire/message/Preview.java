package io.postwire.message;

import io.postwire.domain.Mailbox;

/**
 * What a send would put on the wire, rendered and checked as the send renders and checks it, but
 * neither stored nor queued: the pre-send check's input.
 *
 * @param bytes the message as it would be handed to the signer (CRLF, 8bit parts re-encoded)
 * @param from the From header's mailbox (the domain that signs)
 * @param mailFrom the envelope sender (the domain SPF is checked for)
 * @param raw whether the caller built the message ({@code /v1/messages/raw}) rather than Postwire
 */
public record Preview(byte[] bytes, Mailbox from, Mailbox mailFrom, boolean raw) {}
