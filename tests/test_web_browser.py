"""The household page in a real headless browser: Debian's Chromium driven by Selenium
through Debian's chromedriver (no browser or driver download; Selenium Manager never runs).

Load the page, approve a child's order with the adult's PIN, upload a bad and a good catalog,
change a cart quantity, and check the database after each step; at a phone's width and a
desktop's, nothing overflows sideways, orders show their options and dates are whole.
``UPDATE_SCREENSHOT=1`` also writes the page's pictures to docs/ (the README's).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from voice_shop.dialog import Dialog
from voice_shop.shop.engine import Shop
from voice_shop.shop.models import DeliveryState, OrderStatus, Role
from voice_shop.web import create_app

from .live_server import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "household-page.png"
PHONE_SCREENSHOT = SCREENSHOT.with_name("household-page-phone.png")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() or not CHROMEDRIVER.exists(),
    reason="Debian's chromium and chromium-driver are not installed (scripts/setup.sh "
           "installs them)")

if CHROMIUM.exists():
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support.ui import Select, WebDriverWait

# This machine's network is closed: without these, Chromium keeps trying Google's hosts.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                  "--window-size=1200,1400")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)),
                              options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def submit(driver: WebDriver, button: object) -> str:
    """Click a form's button and wait for the page it leads to; returns its notice or error.

    The old page is marked in its window object, which a new document replaces. (Selenium's
    ``staleness_of`` asks the old element, and chromedriver sometimes answers that with
    "Node with given id does not belong to the document" instead of a stale element: a
    failed CI run.)"""
    driver.execute_script("window.voiceShopOldPage = true")
    button.click()  # type: ignore[attr-defined]

    def is_new_page(d: WebDriver) -> bool:
        try:
            return bool(d.execute_script("return window.voiceShopOldPage === undefined "
                                         "&& document.readyState === 'complete'"))
        except WebDriverException:  # mid-navigation
            return False

    WebDriverWait(driver, 20).until(is_new_page)
    for kind in ("notice", "error"):
        found = driver.find_elements(By.ID, kind)
        if found:
            return str(found[0].text)
    return ""


def household(shop: Shop, dialog: Dialog) -> int:
    """A family with a child's order waiting, a cart and a few turns; the pending order id."""
    shop.add_profile("Maria", Role.ADULT)
    shop.set_pin("Maria", "2468")
    shop.add_profile("Leo", Role.CHILD)
    shop.enroll_voice("Tom", Role.ADULT, [b"\0" * 8] * 3)
    shop.add_to_cart("P108", 1, added_by="Tom")
    shop.report_status(shop.checkout("Tom").id, OrderStatus.OUT_FOR_DELIVERY)
    shop.add_to_cart("P107", 2, added_by="Leo")
    shop.add_to_cart("P102", 1, added_by="Leo")
    pending = shop.checkout("Leo", OrderStatus.PENDING_APPROVAL).id
    for text in ("add a dozen eggs", "add two bags of rice", "how much is oat milk",
                 "what's in my cart"):
        dialog.handle_text(text, "Tom")
    return pending


def test_approve_upload_and_change_the_cart_in_a_browser(
        shop: Shop, dialog: Dialog, browser: WebDriver, tmp_path: Path) -> None:
    pending = household(shop, dialog)
    with LiveServer(create_app(shop.path)) as server:
        browser.get(server.url + "/")
        assert browser.find_element(By.ID, f"pending-{pending}").is_displayed()
        assert "add two bags of rice" in browser.find_element(By.ID, "turns").text
        shot = tmp_path / "household-page.png"
        assert browser.save_screenshot(str(shot)) and shot.read_bytes()[:4] == b"\x89PNG"
        if os.environ.get("UPDATE_SCREENSHOT") == "1":
            SCREENSHOT.parent.mkdir(exist_ok=True)
            shutil.copyfile(shot, SCREENSHOT)

        # A child's order: the adult's PIN is asked for, a wrong one refused.
        form = browser.find_element(By.ID, f"pending-{pending}")
        Select(form.find_element(By.NAME, "by")).select_by_value("Maria")
        form.find_element(By.NAME, "pin").send_keys("1111")
        assert "not Maria's PIN" in submit(browser, form.find_element(By.TAG_NAME, "button"))
        assert shop.order(pending).status is OrderStatus.PENDING_APPROVAL
        form = browser.find_element(By.ID, f"pending-{pending}")
        Select(form.find_element(By.NAME, "by")).select_by_value("Maria")
        form.find_element(By.NAME, "pin").send_keys("2468")
        notice = submit(browser, form.find_element(By.TAG_NAME, "button"))
        assert notice == f"Order {pending} approved by Maria."
        order = shop.order(pending)
        assert (order.status, order.approved_by) == (OrderStatus.PLACED, "Maria")
        assert shop.delivery_state(pending) is DeliveryState.QUEUED
        assert not browser.find_elements(By.ID, f"pending-{pending}")

        # A catalog with a bad row: its line is named and nothing is imported.
        products_before = len(shop.products())
        bad = tmp_path / "bakery.csv"
        bad.write_text("sku,name,price,stock\nB1,Rye loaf,4.20,5\nB2,Seed roll,cheap,5\n")
        browser.find_element(By.ID, "catalog-file").send_keys(str(bad))
        error = submit(browser, browser.find_element(By.ID, "catalog-upload"))
        assert error.startswith("bakery.csv: 1 bad row(s), nothing imported") and "line 3" in error
        assert len(shop.products()) == products_before and shop.find_product("B1") is None

        good = tmp_path / "bakery-fixed.csv"
        good.write_text("sku,name,price,stock\nB1,Rye loaf,4.20,5\nB2,Seed roll,0.90,5\n")
        browser.find_element(By.ID, "catalog-file").send_keys(str(good))
        notice = submit(browser, browser.find_element(By.ID, "catalog-upload"))
        assert notice.startswith("Catalog imported: 2 new, 0 updated")
        assert shop.product("B2").price_cents == 90
        assert len(shop.products()) == products_before + 2

        # The cart: change a quantity.
        line = next(ln for ln in shop.cart().lines if ln.sku != "P107")
        row = browser.find_element(By.ID, f"line-{line.id}")
        quantity = row.find_element(By.NAME, "quantity")
        quantity.clear()
        quantity.send_keys("3")
        assert submit(browser, row.find_element(By.CSS_SELECTOR, "button[value=update]")
                      ) == "Cart updated."
        assert next(ln.quantity for ln in shop.cart().lines if ln.id == line.id) == 3
        total = browser.find_element(By.ID, "cart-total").text
        assert total == f"${shop.cart().total_cents // 100}.{shop.cart().total_cents % 100:02d}"


PHONE_PX, DESKTOP_PX = 390, 1200
READABLE_DATE = r"^\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}, \d\d:\d\d$"


def widest_right_edge(driver: WebDriver) -> float:
    """How far right anything on the page reaches, in CSS pixels."""
    return float(driver.execute_script(
        "return Math.max(...Array.from(document.querySelectorAll('body *'), "
        "e => e.getBoundingClientRect().right))"))


@pytest.mark.parametrize("width", [PHONE_PX, DESKTOP_PX])
def test_the_page_fits_a_phone_and_a_desktop(shop: Shop, dialog: Dialog, browser: WebDriver,
                                             width: int) -> None:
    """A household checks the cart on a phone: nothing is cut off sideways (the document is
    exactly as wide as the viewport), orders show their options, dates are whole."""
    household(shop, dialog)
    shop.add_to_cart("C2101", 2, {"size": "medium", "milk": "oat milk"}, added_by="Tom")
    latte_order = shop.checkout("Tom").id
    shop.add_to_cart("C2101", 1, {"milk": "almond milk", "size": "large"}, added_by="Tom")
    browser.set_window_size(width, 900)
    with LiveServer(create_app(shop.path)) as server:
        browser.get(server.url + "/")
        viewport = browser.execute_script("return document.documentElement.clientWidth")
        assert abs(viewport - width) <= 20  # the window is what was asked for (no scrollbar)
        document = browser.execute_script("return document.documentElement.scrollWidth")
        assert document == viewport
        assert widest_right_edge(browser) <= viewport
        for button in browser.find_elements(By.CSS_SELECTOR, "#cart button"):
            assert button.rect["x"] + button.rect["width"] <= viewport, button.text
        assert browser.find_element(By.ID, "cart-total").is_displayed()

        order = browser.find_element(By.ID, f"order-{latte_order}")
        assert "2 × Latte, medium, oat milk" in order.text
        cart_line = next(ln for ln in shop.cart().lines if ln.sku == "C2101")
        assert "Latte, large, almond milk" in browser.find_element(By.ID,
                                                                    f"line-{cart_line.id}").text
        dates = browser.find_elements(By.CSS_SELECTOR, "#orders time, #turns time")
        assert len(dates) >= 3
        for date in dates:
            assert re.match(READABLE_DATE, date.text), date.text
            lines = browser.execute_script("return arguments[0].getClientRects().length", date)
            assert lines == 1, f"{date.text!r} wraps"  # "2026-12-" / "05 23:46" no more
        if width == PHONE_PX and os.environ.get("UPDATE_SCREENSHOT") == "1":
            browser.save_screenshot(str(PHONE_SCREENSHOT))


def test_the_week_chart_shows_what_was_spent(shop: Shop, browser: WebDriver) -> None:
    """Spending per week: placed orders count, cancelled ones and a child's unapproved one
    do not; the longest bar is the dearest week."""
    import time
    week_s = 7 * 24 * 3600.0
    for weeks_ago, sku, status in ((0, "P108", OrderStatus.PLACED),
                                   (0, "P107", OrderStatus.CANCELLED),
                                   (2, "Y104", OrderStatus.PLACED),
                                   (2, "P102", OrderStatus.PENDING_APPROVAL)):
        shop.add_to_cart(sku, 3)
        order = shop.checkout(placed_at=time.time() - weeks_ago * week_s)
        if status is not OrderStatus.PLACED:
            shop.set_order_status(order.id, status)
    browser.set_window_size(PHONE_PX, 900)
    with LiveServer(create_app(shop.path)) as server:
        browser.get(server.url + "/")
        bars = browser.find_elements(By.CSS_SELECTOR, "#spending meter")
        assert len(bars) == 8
        values = [int(bar.get_attribute("value") or 0) for bar in bars]
        three = {sku: 3 * shop.product(sku).price_cents for sku in ("P108", "Y104")}
        assert values[-1] == three["P108"] and values[-3] == three["Y104"]
        assert sum(values) == sum(three.values())
        assert browser.execute_script("return document.documentElement.scrollWidth") == \
            browser.execute_script("return document.documentElement.clientWidth")
