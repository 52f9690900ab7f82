// BUILDING: replaced by the page's owner before this lands.
export function CreateWorkflow() { return null; }
