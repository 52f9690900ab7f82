// BUILDING: replaced by the page's owner before this lands.
export function AdminTokens() { return null; }
export function MyTokens() { return null; }
