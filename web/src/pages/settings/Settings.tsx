// BUILDING: replaced by the page's owner before this lands.
export function Settings() { return null; }
