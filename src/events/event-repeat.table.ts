/** An inbound record that reported an event again (the first report is the event's inbound_id). */
export interface EventRepeatTable {
  event_id: string;
  inbound_id: string;
  received_at: string;
}
