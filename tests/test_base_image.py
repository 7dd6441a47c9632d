"""dsfix's base image: what it carries, and a base built from another package list is stale (real engine)."""
from __future__ import annotations

from dsfix.envs.images import BASE_IMAGE, BASE_PACKAGES, ROOTFS_LABEL, ensure_image, rootfs_key, stale_base


def test_the_base_pages_output_and_knows_its_package_list(docker_client):
    assert ensure_image(docker_client, BASE_IMAGE, pull=False) == "present"   # conftest made it current
    img = docker_client.images.get(BASE_IMAGE)
    assert img.labels[ROOTFS_LABEL] == rootfs_key("bookworm", BASE_PACKAGES)
    assert not stale_base(img, "bookworm", BASE_PACKAGES)
    # a base from a shorter list (one built before `less` was added) is rebuilt, not reused
    assert stale_base(img, "bookworm", BASE_PACKAGES.replace(",less", ""))
    out = docker_client.containers.run(BASE_IMAGE, ["sh", "-c", "echo paged | less -FX"], remove=True)
    assert out.decode().strip() == "paged"    # click's echo_via_pager tests run `less`
