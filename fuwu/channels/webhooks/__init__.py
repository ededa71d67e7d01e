"""Outbound webhooks: a case event, signed and POSTed to the URLs that subscribe to it.

The write path (`outbox.record`, called by `fuwu.cases.flow.Change.finish`) writes one
`WebhookDelivery` per matching subscription and event in the change's own transaction and
queues the `deliver` task with their ids, so a rolled-back change sends nothing and a committed
one always will. The worker sends (`sending`), retries with back-off from the periodic sweep
(`sending.queue_due`) and disables a subscription whose deliveries keep failing. No network call
is made inside a request or a transaction.

Receivers verify each request (README "Webhooks"): `X-Fuwu-Signature: t=<unix ts>,v1=<hex>`
where `<hex>` is HMAC-SHA256 over `f"{t}.{body}"` keyed with the subscription's secret.
"""
