# The made-up in-house "checkout.finished" shape as the relay's native order.completed v1 event.
{
  schema_version: 1,
  event_type: "order.completed",
  order_id: .order.ref,
  occurred_at: .order.placed,
  currency: (.money.currency | ascii_upcase),
  value: (.money.amount_minor / 100),
  items: [.lines[] | {sku: .article, quantity: .qty, price: (.unit_minor / 100)}],
  customer: {email: .buyer.mail, phone: .buyer.mobile, country: .buyer.land},
  context: {ip: .web.ip, user_agent: .web.ua, page_url: .web.page},
  consent: {marketing: .web.ad_consent}
}
