CREATE TABLE orgs (id bigint PRIMARY KEY, name text NOT NULL, deleted_at timestamptz);
CREATE TABLE workspaces (
    id bigint PRIMARY KEY,
    org_id bigint NOT NULL REFERENCES orgs (id),
    name text NOT NULL,
    deleted_at timestamptz
);
CREATE TABLE pages (id bigint PRIMARY KEY, workspace_id bigint NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE, slug text, text text);
CREATE TABLE comments (id bigint PRIMARY KEY, page_ref bigint NOT NULL, body text, CONSTRAINT body_len CHECK (length(body) < 10000));
