import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "headend.settings")
application = get_wsgi_application()

# Load every URL conf now (the API's routers and schemas come with them) instead of on the first
# request, then move what start-up made, about 200,000 objects that live as long as the process,
# out of the garbage collector's way: otherwise each full collection walks them all again, a
# third of the time of a request that builds many objects (a page of 100 quotes, issue 19).
get_resolver().url_patterns  # noqa: B018
gc.freeze()
