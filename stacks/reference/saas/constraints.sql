-- Keys, foreign keys and indexes, applied once after seeding (or right after schema.sql on an
-- empty database). ON DELETE CASCADE from sites is what makes a permanent delete of a site take
-- its products, users, apps and records with it, exactly like the incident.
ALTER TABLE tenants  ADD CONSTRAINT tenants_pkey  PRIMARY KEY (id);
ALTER TABLE sites    ADD CONSTRAINT sites_pkey    PRIMARY KEY (id);
ALTER TABLE products ADD CONSTRAINT products_pkey PRIMARY KEY (id);
ALTER TABLE users    ADD CONSTRAINT users_pkey    PRIMARY KEY (id);
ALTER TABLE apps     ADD CONSTRAINT apps_pkey     PRIMARY KEY (id);
ALTER TABLE records  ADD CONSTRAINT records_pkey  PRIMARY KEY (id);

ALTER TABLE sites    ADD CONSTRAINT sites_hostname_key UNIQUE (hostname);
ALTER TABLE records  ADD CONSTRAINT records_site_key UNIQUE (site_id, key);

ALTER TABLE sites    ADD CONSTRAINT sites_tenant_fk    FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE;
ALTER TABLE products ADD CONSTRAINT products_site_fk   FOREIGN KEY (site_id)   REFERENCES sites(id)   ON DELETE CASCADE;
ALTER TABLE users    ADD CONSTRAINT users_site_fk      FOREIGN KEY (site_id)   REFERENCES sites(id)   ON DELETE CASCADE;
ALTER TABLE apps     ADD CONSTRAINT apps_site_fk       FOREIGN KEY (site_id)   REFERENCES sites(id)   ON DELETE CASCADE;
ALTER TABLE records  ADD CONSTRAINT records_site_fk    FOREIGN KEY (site_id)   REFERENCES sites(id)   ON DELETE CASCADE;

CREATE INDEX sites_tenant_idx    ON sites (tenant_id);
CREATE INDEX products_tenant_idx ON products (tenant_id);
CREATE INDEX products_site_idx   ON products (site_id);
CREATE INDEX users_tenant_idx    ON users (tenant_id);
CREATE INDEX users_site_idx      ON users (site_id);
CREATE INDEX apps_tenant_idx     ON apps (tenant_id);
CREATE INDEX apps_site_idx       ON apps (site_id);
CREATE INDEX records_tenant_idx  ON records (tenant_id);
