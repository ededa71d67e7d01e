"""Fuwu (服务): customer-service work procedures."""
