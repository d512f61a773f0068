// Package tenancy finds the tenancy model of a user's schema in the database itself: which
// tables the tenants own, how each row reaches its tenant and its unit (the thing a fault
// deletes: a site, a workspace), and which tables no tenant owns.
//
// Data enters as a Declared (the `tenancy` section of a stack file, as plain values) and a
// connection. Discover reads pg_catalog — tables, columns, primary and foreign keys — adds the
// declared joins (relations the schema keeps without a foreign key) and walks the references
// back from the tenant table, keeping for every table the shortest route to a table that holds
// the tenant key itself. Under the schema-per-tenant model the tenant schemas are found by
// their pattern, their table sets compared, and one of them walked.
//
// Data leaves as a Model: the owned tables parents first, the shared ones with the reason, the
// suspected references. Its SQL builders (Table.SelectOwned, SelectUnderUnits, CountByTenant,
// CountByUnit, Model.QualifiedName, CountBySchema) are the one place the manifest, the blast
// radius, the verifier and tenant-restore get their per-tenant queries from; Render writes the
// model as the skeleton of a stack file, for `drdrill stack init`.
package tenancy
