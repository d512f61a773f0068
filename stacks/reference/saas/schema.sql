-- The reference multi-tenant SaaS schema. Tables only: keys, foreign keys and indexes are in
-- constraints.sql so that seeding can COPY into bare tables first and build indexes once.
-- Every table carries tenant_id so that a tenant can be counted, checksummed and restored alone.
-- IDs are bigints from one shared space (tenants, sites, products, users, apps, records never
-- share an ID), so a list of IDs can hold site IDs or app IDs alike: the incident's confusion.

CREATE TABLE IF NOT EXISTS tenants (
    id          bigint      NOT NULL,
    name        text        NOT NULL,
    plan        text        NOT NULL,
    created_at  timestamptz NOT NULL,
    deleted_at  timestamptz
);

CREATE TABLE IF NOT EXISTS sites (
    id          bigint      NOT NULL,
    tenant_id   bigint      NOT NULL,
    hostname    text        NOT NULL,
    created_at  timestamptz NOT NULL,
    deleted_at  timestamptz
);

CREATE TABLE IF NOT EXISTS products (
    id          bigint      NOT NULL,
    tenant_id   bigint      NOT NULL,
    site_id     bigint      NOT NULL,
    kind        text        NOT NULL,
    seats       integer     NOT NULL,
    created_at  timestamptz NOT NULL,
    deleted_at  timestamptz
);

CREATE TABLE IF NOT EXISTS users (
    id          bigint      NOT NULL,
    tenant_id   bigint      NOT NULL,
    site_id     bigint      NOT NULL,
    email       text        NOT NULL,
    name        text        NOT NULL,
    created_at  timestamptz NOT NULL,
    deleted_at  timestamptz
);

CREATE TABLE IF NOT EXISTS apps (
    id           bigint      NOT NULL,
    tenant_id    bigint      NOT NULL,
    site_id      bigint      NOT NULL,
    app_key      text        NOT NULL,
    name         text        NOT NULL,
    version      text        NOT NULL,
    installed_at timestamptz NOT NULL,
    deleted_at   timestamptz
);

-- records are the tenant's content. Seeded records have keys 'seed-…'; live traffic writes
-- keys 'live-…'. The manifest checksums seeded rows; the ledger accounts for live ones.
CREATE TABLE IF NOT EXISTS records (
    id          bigint      NOT NULL,
    tenant_id   bigint      NOT NULL,
    site_id     bigint      NOT NULL,
    key         text        NOT NULL,
    value       text        NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- IDs handed out by the service for new rows start far above any seeded ID.
CREATE SEQUENCE IF NOT EXISTS object_id START WITH 1000000000000;
