"""The operator cockpit: server-rendered pages over every domain, operator login, and the admin
actions (hard delete, replay with audit) shared by the cockpit, the admin API and the CLI."""
