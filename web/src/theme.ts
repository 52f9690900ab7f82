import { createTheme, Modal, Notification, TableScrollContainer } from "@mantine/core";

export const theme = createTheme({
  primaryColor: "blue",
  // Shade 8: white on filled buttons and blue links on white both reach 4.5:1 (shade 6 is 3.5:1).
  primaryShade: { light: 8, dark: 8 },
  defaultRadius: "md",
  fontFamily:
    "Inter, system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif",
  headings: { fontWeight: "650" },
  components: {
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { "aria-label": "Close" } } }),
    // A table wider than a phone scrolls sideways; keyboard users reach it by Tab and scroll with arrows.
    TableScrollContainer: TableScrollContainer.extend({
      defaultProps: { scrollAreaProps: { viewportProps: { tabIndex: 0 } } },
    }),
    // Toasts: a named close button, and body text in the page's text colour (gray-6 is too pale).
    Notification: Notification.extend({
      defaultProps: { closeButtonProps: { "aria-label": "Dismiss notification" } },
      styles: { description: { color: "var(--mantine-color-text)" } },
    }),
  },
});
