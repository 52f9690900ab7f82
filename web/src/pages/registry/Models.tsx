// BUILDING: replaced by the page's owner before this lands.
export function Models() { return null; }
