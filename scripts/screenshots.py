"""Walk the QuickBooks setup as a person would, in headless Chromium, saving screenshots.

Needs `make run` serving on 127.0.0.1:8000 (with the bundled sandbox) and Debian's Chromium.
Usage: .venv/bin/python scripts/screenshots.py [--base-url URL] [--out docs/screenshots]
"""

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="distru-demo")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})

        def shot(name: str) -> None:
            page.screenshot(path=str(out / f"{name}.png"), full_page=True)
            print(f"saved {out / name}.png")

        page.goto(f"{args.base_url}/admin/login/")
        page.fill("#id_username", args.user)
        page.fill("#id_password", args.password)
        page.click("input[type=submit]")
        page.click("text=Settings → Integrations")
        shot("01-integrations-panel")
        page.click("text=Set up")
        shot("02-quickbooks-disconnected")
        page.click("input[value='Connect to QuickBooks Online']")
        page.wait_for_load_state()
        shot("03-sandbox-consent")
        page.click("button[value=connect], input[value=Connect], button:has-text('Connect')")
        page.wait_for_url("**/quickbooks/accounts/")
        shot("04-key-accounts")
        for field in ["default_income_account", "default_expense_account",
                      "sales_deposit_account", "purchase_deposit_account"]:
            page.select_option(f"#id_{field}", index=1)
        page.click("input[value='Save key accounts']")
        page.wait_for_url("**/quickbooks/")
        shot("05-quickbooks-connected")
        browser.close()


if __name__ == "__main__":
    main()
