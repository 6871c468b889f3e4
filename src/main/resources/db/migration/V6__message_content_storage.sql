-- Message content is mostly base64 and quoted-printable text that compresses poorly; PostgreSQL's
-- default TOAST compression (pglz) cost more CPU per message than it saved in bytes. Keep it out
-- of line, uncompressed.
alter table message alter column content set storage external;
