"""The WeChat official account channel: the callback protocol (`protocol`), accounts, followers
and binding codes (`models`), what a message does (`receive`), the API client for template
messages (`client`) and the sender the outbound core calls (`sender`)."""
