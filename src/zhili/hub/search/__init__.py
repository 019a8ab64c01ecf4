"""Cross-department search (跨部门检索): one index over every master entity, its source
records and its relations; `service.search` is the only way in (authorize, scope, mask, audit)."""
