import { notifications } from "@mantine/notifications";

import { describe } from "../api/problem";

export function notifySuccess(message: string, title = "Done"): void {
  notifications.show({ color: "green", title, message, autoClose: 4000 });
}

export function notifyError(error: unknown, title = "That did not work"): void {
  notifications.show({ color: "red", title, message: describe(error), autoClose: 8000 });
}
