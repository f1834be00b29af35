"""Resource pools: interchangeable resources (phone numbers) allocated atomically to tenants."""
