"""Channels: the ways a request reaches Fuwu and a notice reaches the customer (e-mail, WeChat
official account, SMS, the call centre's phone system, outbound webhooks). Each is a small
adapter into the one action layer; nothing here waits on a remote service inside a request."""
