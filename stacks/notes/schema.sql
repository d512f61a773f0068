-- The notes stack: a second, deliberately different multi-tenant schema. Only the root tables
-- carry the tenant key (workspaces.org_id); pages and members reach their org through foreign
-- keys, comments through a relation the application keeps without a foreign key
-- (comments.page_ref -> pages.id, declared in stack.yaml). The faulty script deletes
-- workspaces. Keys are created with the tables: drdrill's generic seeding COPYs in dependency
-- order, so the foreign keys hold while it loads.

CREATE TABLE IF NOT EXISTS orgs (
    id          bigint      PRIMARY KEY,
    name        text        NOT NULL,
    billing_email text      NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS workspaces (
    id          bigint      PRIMARY KEY,
    org_id      bigint      NOT NULL REFERENCES orgs (id),
    title       text        NOT NULL,
    created_at  timestamptz NOT NULL,
    deleted_at  timestamptz            -- set by notes-purge --mode mark; notesd hides the workspace
);
CREATE INDEX IF NOT EXISTS workspaces_org ON workspaces (org_id);

CREATE TABLE IF NOT EXISTS members (
    id           bigint      PRIMARY KEY,
    workspace_id bigint      NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email        text        NOT NULL,
    role         text        NOT NULL,
    joined_at    timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS members_workspace ON members (workspace_id);

-- pages are the workspace's content. Live traffic writes pages whose slug starts 'live-'.
CREATE SEQUENCE IF NOT EXISTS page_id START WITH 1000000000000;
CREATE TABLE IF NOT EXISTS pages (
    id           bigint      PRIMARY KEY DEFAULT nextval('page_id'),
    workspace_id bigint      NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    slug         text        NOT NULL,
    body         text        NOT NULL,
    updated_at   timestamptz NOT NULL,
    UNIQUE (workspace_id, slug)
);

-- comments reach their page by page_ref, which the application keeps: no foreign key, so a
-- deleted page leaves its comments behind unless the deleting code removes them too.
CREATE TABLE IF NOT EXISTS comments (
    id          bigint      PRIMARY KEY,
    page_ref    bigint      NOT NULL,
    author      text        NOT NULL,
    body        text        NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS comments_page ON comments (page_ref);
