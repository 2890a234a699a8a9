"""Full HTML article pages for the sample outlets, each outlet with its own markup.

The pages are test material for extraction, so they carry what real news pages carry around the
article: a cookie banner, navigation, share buttons, a figure, a newsletter promo, related links,
a "most read" box, comments and a footer. The seven layouts differ where extractors differ:
``<article>`` vs div soup, JSON-LD vs Open Graph vs microdata metadata, WordPress vs Disqus
comments, and (``tabloid``, after a real page) comments INSIDE the article's container. Two themes
(``divsoup`` and ``microdata``) go further and print the thread inside the article body with no
marking at all: no comment class or id, no heading, just the commenter's line, the text and the
controls as plain paragraphs, worded as the outlet's comment style words them.
Every address points at the sample server itself; nothing is loaded from elsewhere.
"""

from __future__ import annotations

import json
import logging
import posixpath
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape

from digest.sample.corpus import Comment, Outlet, SampleArticle
from digest.sample.feeds import rfc3339

log = logging.getLogger(__name__)

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
MOST_READ_LIMIT = 5
UNMARKED_COMMENT_LAYOUTS = ("divsoup", "microdata")  # themes that print comments as bare body paragraphs
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class _View:
    """One page being rendered: what every partial needs to know."""

    outlet: Outlet
    article: SampleArticle
    now: datetime
    base: str  # the server's root URL without the trailing slash
    others: tuple[SampleArticle, ...]  # the outlet's other articles, for the "most read" box

    @property
    def path(self) -> str:
        return self.outlet.path_of(self.article.id)

    @property
    def canonical(self) -> str:
        return self.base + self.path

    @property
    def published(self) -> datetime:
        return self.article.published(self.now)

    @property
    def css(self) -> str:
        return self.outlet.id[:2] + "-"  # each outlet's own class-name prefix

    def relative(self, target: str) -> str:
        """``target`` (a server path) relative to this page's folder, as real sites often write it."""
        folder = self.path.rsplit("/", 1)[0] or "/"
        return posixpath.relpath(target, folder) + ("/" if target.endswith("/") else "")


def render_page(
    outlet: Outlet,
    article: SampleArticle,
    now: datetime,
    base_url: str,
    others: Sequence[SampleArticle] = (),
) -> bytes:
    """The article's page as its outlet would serve it; ``others`` fill the "most read" box."""
    moment = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    neighbours = tuple(a for a in sorted(others, key=lambda a: (a.hours_ago, a.id)) if a.id != article.id)
    view = _View(outlet, article, moment, base_url.rstrip("/"), neighbours[:MOST_READ_LIMIT])
    return _LAYOUTS[outlet.layout](view).encode()


def render_home(outlet: Outlet, articles: Sequence[SampleArticle], now: datetime, base_url: str) -> bytes:
    """A plain front page listing the outlet's articles (not needed by the build; nice for the demo)."""
    rows = "\n".join(
        f'<li><a href="{escape(outlet.path_of(a.id))}">{escape(a.title)}</a> '
        f"<small>{escape(a.author)}, {_long_date(a.published(now))}</small></li>"
        for a in sorted(articles, key=lambda a: (a.hours_ago, a.id))
    )
    feed = escape(outlet.feed_path)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(outlet.name)}</title>'
        f'<link rel="alternate" type="{_feed_type(outlet)}" href="{feed}"></head>\n'
        f"<body><h1>{escape(outlet.name)}</h1><p>{escape(outlet.tagline)}</p>\n<ul>\n{rows}\n</ul>\n"
        f'<p><a href="{feed}">Subscribe to the feed</a></p></body></html>\n'
    ).encode()


def render_stylesheet(outlet: Outlet) -> bytes:
    rules = f"body{{margin:0;font:17px/1.6 Georgia,serif}}header{{background:{outlet.accent};color:#fff}}"
    return (rules + "\n").encode()


def render_placeholder_image(outlet: Outlet, article: SampleArticle) -> bytes:
    """A small SVG standing in for the article's photo."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="360" viewBox="0 0 640 360">'
        f'<rect width="640" height="360" fill="{escape(outlet.accent)}"/>'
        f'<text x="24" y="336" fill="#fff" font-size="20">{escape(outlet.name)}</text></svg>\n'
    ).encode()


def media_path(outlet: Outlet, article_id: str) -> str:
    return f"{outlet.homepage}media/{article_id}.svg"


def stylesheet_path(outlet: Outlet) -> str:
    return f"{outlet.homepage}assets/site.css"


def slug(text: str) -> str:
    return _NOT_SLUG.sub("-", text.lower()).strip("-")


def _feed_type(outlet: Outlet) -> str:
    if outlet.feed_format.startswith("atom"):
        return "application/atom+xml"
    return "application/feed+json" if outlet.feed_format == "jsonfeed11" else "application/rss+xml"


def _long_date(moment: datetime) -> str:
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def _clock(moment: datetime) -> str:
    return f"{moment:%H:%M}"


def _ago(moment: datetime, now: datetime) -> str:
    minutes = max(0, int((now - moment).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} minutes ago"
    hours = minutes // 60
    return f"{hours} hours ago" if hours < 48 else f"{hours // 24} days ago"


def _comment_times(view: _View) -> list[datetime]:
    """Comments arrive after publication, spread out, never after the build clock."""
    start = view.published
    return [
        min(view.now, start + timedelta(minutes=41 * (n + 1) + 7 * n * n))
        for n in range(len(view.article.comments))
    ]


def _paragraphs(view: _View, css_class: str = "") -> str:
    attribute = f' class="{css_class}"' if css_class else ""
    return "\n".join(f"<p{attribute}>{escape(paragraph)}</p>" for paragraph in view.article.paragraphs)


# --- partials shared by the layouts ---------------------------------------------------------


def _head(view: _View, metadata: str) -> str:
    outlet, article = view.outlet, view.article
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(article.title)} | {escape(outlet.name)}</title>
<meta name="description" content="{escape(article.summary)}">
<link rel="canonical" href="{escape(view.canonical)}">
<link rel="stylesheet" href="{escape(view.relative(stylesheet_path(outlet)))}">
<link rel="alternate" type="{_feed_type(outlet)}" title="{escape(outlet.name)}"
 href="{escape(outlet.feed_path)}">
{metadata}
<style>
.{view.css}cookie{{position:fixed;bottom:0;left:0;right:0;background:#222;color:#eee;padding:1em}}
.{view.css}nav a{{color:#fff;text-decoration:none;margin-right:1em}}
.{view.css}share a{{display:inline-block;padding:.3em .8em;border:1px solid #ccc;border-radius:3px}}
.{view.css}promo{{background:#f4f1ea;border-left:4px solid {outlet.accent};padding:1em;margin:2em 0}}
.{view.css}footer{{background:#111;color:#aaa;font-size:.85em;padding:2em}}
</style>
<script>window.dataLayer=window.dataLayer||[];function gtag(){{dataLayer.push(arguments);}}
gtag("consent","default",{{"analytics_storage":"denied"}});</script>
</head>"""


def _cookie_banner(view: _View) -> str:
    return f"""<div class="{view.css}cookie" id="cookie-consent" role="dialog" aria-label="Cookie consent">
<p>We use cookies to make this site work, to understand how you use it and to show you relevant
advertising. You can accept all cookies or choose which ones we may use. Read our
<a href="{view.outlet.homepage}cookies/">cookie policy</a> for details.</p>
<button type="button" class="{view.css}accept">Accept all cookies</button>
<button type="button" class="{view.css}settings">Manage settings</button>
</div>"""


def _navigation(view: _View) -> str:
    outlet = view.outlet
    links = "\n".join(
        f'<li><a href="{outlet.homepage}{slug(section)}/">{escape(section)}</a></li>'
        for section in outlet.sections
    )
    return f"""<header class="{view.css}masthead">
<div class="{view.css}topbar"><a href="{outlet.homepage}subscribe/">Subscribe</a>
<a href="{outlet.homepage}login/">Sign in</a>
<form class="{view.css}search" action="{outlet.homepage}search/" method="get">
<input type="search" name="q" placeholder="Search {escape(outlet.name)}"><button>Search</button></form></div>
<a class="{view.css}logo" href="{outlet.homepage}">{escape(outlet.name)}</a>
<p class="{view.css}tagline">{escape(outlet.tagline)}</p>
<nav class="{view.css}nav" aria-label="Sections"><ul>
{links}
</ul></nav>
</header>"""


def _share(view: _View) -> str:
    url, title = escape(view.canonical), escape(view.article.title)
    return f"""<div class="{view.css}share" aria-label="Share this article">
<span>Share this article</span>
<a class="share-x" href="https://x.com/intent/post?url={url}&amp;text={title}" rel="nofollow">Share on X</a>
<a class="share-facebook" href="https://www.facebook.com/sharer/sharer.php?u={url}"
 rel="nofollow">Share on Facebook</a>
<a class="share-linkedin" href="https://www.linkedin.com/sharing/share-offsite/?url={url}"
 rel="nofollow">LinkedIn</a>
<a class="share-email" href="mailto:?subject={title}&amp;body={url}">Email</a>
<button type="button" class="share-copy" data-url="{url}">Copy link</button>
</div>"""


def _figure(view: _View) -> str:
    if not view.article.caption:
        return ""
    source = escape(view.relative(media_path(view.outlet, view.article.id)))
    caption = escape(view.article.caption)
    return f"""<figure class="{view.css}figure">
<img src="{source}" alt="{caption}" width="640" height="360" loading="lazy">
<figcaption>{caption} <span class="{view.css}credit">Photo: {escape(view.outlet.name)}</span></figcaption>
</figure>"""


def _promo(view: _View) -> str:
    if not view.article.promo:
        return ""
    return f"""<aside class="{view.css}promo newsletter-signup">
<p class="{view.css}promo-text">{escape(view.article.promo)}</p>
<form action="{view.outlet.homepage}newsletter/" method="post">
<input type="email" name="email" placeholder="Your email address"><button>Sign up</button></form>
<p class="{view.css}small">You can unsubscribe at any time. See our privacy notice.</p>
</aside>"""


def _related(view: _View) -> str:
    if not view.article.related:
        return ""
    items = "\n".join(
        f'<li><a href="{view.outlet.homepage}archive/{slug(headline)}/">{escape(headline)}</a></li>'
        for headline in view.article.related
    )
    return f'<section class="{view.css}related">\n<h2>Related stories</h2>\n<ul>\n{items}\n</ul>\n</section>'


def _most_read(view: _View) -> str:
    if not view.others:
        return ""
    items = "\n".join(
        f'<li><a href="{escape(view.outlet.path_of(other.id))}">{escape(other.title)}</a></li>'
        for other in view.others
    )
    return f'<aside class="{view.css}mostread">\n<h2>Most read</h2>\n<ol>\n{items}\n</ol>\n</aside>'


def _footer(view: _View) -> str:
    outlet, home = view.outlet, view.outlet.homepage
    pages = ("About us", "Contact", "Advertise", "Careers", "Terms of use", "Privacy notice", "Cookie policy")
    links = " | ".join(f'<a href="{home}{slug(page)}/">{page}</a>' for page in pages)
    return f"""<footer class="{view.css}footer">
<p>{links}</p>
<p>Follow us: <a href="{home}social/x/">X</a> <a href="{home}social/facebook/">Facebook</a>
<a href="{home}social/instagram/">Instagram</a> <a href="{outlet.feed_path}">Feed</a></p>
<p>&copy; {view.now.year} {escape(outlet.name)}. All rights reserved.</p>
</footer>
<script src="{escape(view.relative(home + "assets/app.js"))}" defer></script>
</body>
</html>
"""


# --- comments ---------------------------------------------------------------------------------


def _comments(view: _View) -> str:
    comments = view.article.comments
    if not comments or view.outlet.layout in UNMARKED_COMMENT_LAYOUTS:
        return ""
    style = {"wordpress": _wordpress_comments, "disqus": _disqus_comments, "inline": _inline_comments}
    return style[view.outlet.comments](view, comments)


def _body_comments(view: _View) -> str:
    """The thread as bare paragraphs inside the body, for the themes that print it that way."""
    comments = view.article.comments
    if not comments or view.outlet.layout not in UNMARKED_COMMENT_LAYOUTS:
        return ""
    style = {"wordpress": _unmarked_says, "disqus": _unmarked_votes, "inline": _unmarked_list}
    return style[view.outlet.comments](view, comments)


def _unmarked_says(view: _View, comments: Sequence[Comment]) -> str:
    """WordPress wording without its markup: "Name says:", the date and time, the text, "Reply"."""
    return "\n".join(
        f"<p><b>{escape(c.author)}</b> says:</p>\n<p>{_long_date(moment)} at {_clock(moment)}</p>\n"
        f'<p>{escape(c.text)}</p>\n<p><a href="#reply-{number}">Reply</a></p>'
        for number, (c, moment) in enumerate(zip(comments, _comment_times(view), strict=True), start=1)
    )


def _unmarked_votes(view: _View, comments: Sequence[Comment]) -> str:
    """Disqus wording without its markup: name and "3 hours ago", the text, votes and controls."""
    return "\n".join(
        f"<div>\n<p><strong>{escape(c.author)}</strong> · {_ago(moment, view.now)}</p>\n"
        f"<p>{escape(c.text)}</p>\n<p>▲ {_votes(c)} · Reply · Report</p>\n</div>"
        for c, moment in zip(comments, _comment_times(view), strict=True)
    )


def _unmarked_list(view: _View, comments: Sequence[Comment]) -> str:
    """A list item per comment: the name on its own line, then the text, and no controls."""
    items = "\n".join(f"<li><p>{escape(c.author)}</p>\n<p>{escape(c.text)}</p></li>" for c in comments)
    return f"<ul>\n{items}\n</ul>"


def _votes(comment: Comment) -> int:
    return len(comment.text) % 37  # any stable small number: the same page renders the same bytes


def _count(comments: Sequence[Comment]) -> str:
    return f"{len(comments)} comment" + ("" if len(comments) == 1 else "s")


def _wordpress_comments(view: _View, comments: Sequence[Comment]) -> str:
    items = []
    for number, (comment, moment) in enumerate(zip(comments, _comment_times(view), strict=True), start=1):
        items.append(f"""<li class="comment" id="comment-{number}">
<div id="div-comment-{number}" class="comment-body">
<div class="comment-meta commentmetadata">
<div class="comment-author vcard"><b class="fn">{escape(comment.author)}</b>
<span class="says">says:</span></div>
<div class="comment-metadata"><time datetime="{rfc3339(moment)}">
{_long_date(moment)} at {_clock(moment)}</time></div>
</div>
<div class="comment-content"><p>{escape(comment.text)}</p></div>
<div class="reply"><a class="comment-reply-link" href="#respond">Reply</a></div>
</div>
</li>""")
    body = "\n".join(items)
    return f"""<div id="comments" class="comments-area">
<h2 class="comments-title">{_count(comments)}</h2>
<ol class="commentlist">
{body}
</ol>
<div id="respond"><h3>Leave a reply</h3>
<p>You must be <a href="{view.outlet.homepage}login/">logged in</a> to post a comment.</p></div>
</div>"""


def _disqus_comments(view: _View, comments: Sequence[Comment]) -> str:
    posts = []
    for comment, moment in zip(comments, _comment_times(view), strict=True):
        posts.append(f"""<div class="post">
<div class="post-byline"><span class="author">{escape(comment.author)}</span>
<a class="time-ago" title="{_long_date(moment)} {_clock(moment)}">{_ago(moment, view.now)}</a></div>
<div class="post-message"><p>{escape(comment.text)}</p></div>
<div class="post-menu"><a class="vote-up">Like</a> <a class="reply">Reply</a> <a class="flag">Report</a></div>
</div>""")
    body = "\n".join(posts)
    return f"""<div id="disqus_thread" class="{view.css}discussion">
<div class="thread-header"><span class="comment-count">{_count(comments)}</span>
<a class="sort">Sort by Best</a> <a class="login">Log in to comment</a></div>
<div class="post-list">
{body}
</div>
</div>"""


def _inline_comments(view: _View, comments: Sequence[Comment]) -> str:
    """Plain list items with the author on its own line, as the real page in the seeds has them."""
    items = "\n".join(
        f'<li class="comment-item"><span class="comment-author">{escape(c.author)}</span>\n'
        f'<span class="comment-date">{_long_date(moment)}</span>\n<p>{escape(c.text)}</p></li>'
        for c, moment in zip(comments, _comment_times(view), strict=True)
    )
    return f'<h4 class="comments-count">{_count(comments)}</h4>\n<ul class="comment-list">\n{items}\n</ul>'


# --- layouts ----------------------------------------------------------------------------------


def _json_ld(view: _View) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": view.article.title,
        "description": view.article.summary,
        "datePublished": rfc3339(view.published),
        "dateModified": rfc3339(view.published),
        "author": [{"@type": "Person", "name": view.article.author}],
        "publisher": {"@type": "Organization", "name": view.outlet.name},
        "mainEntityOfPage": view.canonical,
    }
    text = json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{text}\n</script>'


def _open_graph(view: _View) -> str:
    tags = {
        "og:type": "article",
        "og:site_name": view.outlet.name,
        "og:title": view.article.title,
        "og:description": view.article.summary,
        "og:url": view.canonical,
        "article:published_time": rfc3339(view.published),
        "article:author": view.article.author,
    }
    lines = [f'<meta property="{key}" content="{escape(value)}">' for key, value in tags.items()]
    lines.append(f'<meta name="author" content="{escape(view.article.author)}">')
    lines.append('<meta name="twitter:card" content="summary_large_image">')
    return "\n".join(lines)


def _author_meta(view: _View) -> str:
    return f'<meta name="author" content="{escape(view.article.author)}">'


def _layout_article(view: _View) -> str:
    """HTML5 blog markup: ``<article>`` with hAtom-ish classes, WordPress comments after it."""
    a = view.article
    return f"""{_head(view, _author_meta(view))}
<body class="single single-post">
{_cookie_banner(view)}
{_navigation(view)}
<div class="{view.css}layout">
<main id="main" class="site-main">
<article class="post hentry">
<header class="entry-header">
<h1 class="entry-title">{escape(a.title)}</h1>
<div class="entry-meta">By <span class="byline author vcard">
<a class="url fn n" href="{view.outlet.homepage}author/{slug(a.author)}/">{escape(a.author)}</a></span>
<time class="entry-date published" datetime="{rfc3339(view.published)}">
{_long_date(view.published)}</time></div>
</header>
{_share(view)}
{_figure(view)}
<div class="entry-content">
{_paragraphs(view)}
</div>
{_promo(view)}
<footer class="entry-footer">
<span class="cat-links">Posted in <a href="{view.outlet.homepage}courts/">Courts</a></span></footer>
</article>
{_related(view)}
{_comments(view)}
</main>
<aside id="secondary" class="widget-area">{_most_read(view)}</aside>
</div>
{_footer(view)}"""


def _layout_divsoup(view: _View) -> str:
    """Bootstrap-era div soup: no semantic elements, paragraphs inside nested ``div.text`` blocks."""
    a = view.article
    return f"""{_head(view, _author_meta(view))}
<body>
<div id="wrapper">
{_cookie_banner(view)}
{_navigation(view)}
<div class="container"><div class="row">
<div class="col-md-8 col-sm-12">
<div class="story-wrap">
<div class="story-headline"><h1>{escape(a.title)}</h1></div>
<div class="story-meta"><div class="author-name">{escape(a.author)}</div>
<div class="pub-date">{_long_date(view.published)} &middot; {_clock(view.published)}</div></div>
{_share(view)}
{_figure(view)}
<div class="story-body"><div class="text">
{_paragraphs(view, "story-para")}
{_body_comments(view)}
</div></div>
{_promo(view)}
<div class="tags"><a href="{view.outlet.homepage}tag/justice/">Justice</a>
<a href="{view.outlet.homepage}tag/tech/">Tech</a></div>
</div>
{_related(view)}
{_comments(view)}
</div>
<div class="col-md-4 sidebar">{_most_read(view)}
<div class="ad-slot" data-slot="sidebar-mpu">Advertisement</div></div>
</div></div>
</div>
{_footer(view)}"""


def _layout_jsonld(view: _View) -> str:
    """Modern news site: JSON-LD metadata, BEM classes, body in ``div.article__body``, Disqus below."""
    a = view.article
    return f"""{_head(view, _json_ld(view))}
<body class="page-article">
{_cookie_banner(view)}
{_navigation(view)}
<main class="article-page">
<div class="article__header">
<p class="article__kicker">Technology</p>
<h1 class="article__title">{escape(a.title)}</h1>
<p class="article__standfirst">{escape(a.summary)}</p>
<div class="article__byline">{escape(a.author)}
<span class="article__date">{_long_date(view.published)}, {_clock(view.published)} GMT</span></div>
</div>
{_figure(view)}
<div class="article__body">
{_paragraphs(view)}
</div>
{_share(view)}
{_promo(view)}
{_related(view)}
</main>
{_most_read(view)}
{_comments(view)}
{_footer(view)}"""


def _layout_opengraph(view: _View) -> str:
    """Think-tank briefing: Open Graph metadata, ``<section>`` body, sidebar before the text."""
    a = view.article
    return f"""{_head(view, _open_graph(view))}
<body class="briefing">
{_cookie_banner(view)}
{_navigation(view)}
<div class="page">
<aside class="sidebar">{_most_read(view)}</aside>
<section class="analysis">
<h1 class="analysis-title">{escape(a.title)}</h1>
<ul class="analysis-meta"><li class="analysis-author">{escape(a.author)}</li>
<li class="analysis-date"><time datetime="{rfc3339(view.published)}">
{_long_date(view.published)}</time></li></ul>
{_figure(view)}
<div class="analysis-content">
{_paragraphs(view)}
</div>
{_share(view)}
{_promo(view)}
{_related(view)}
{_comments(view)}
</section>
</div>
{_footer(view)}"""


def _layout_microdata(view: _View) -> str:
    """schema.org microdata: ``itemprop`` on headline, author, date and ``articleBody``."""
    a = view.article
    return f"""{_head(view, _author_meta(view))}
<body>
{_cookie_banner(view)}
{_navigation(view)}
<article class="{view.css}article" itemscope itemtype="https://schema.org/Article">
<h1 itemprop="headline">{escape(a.title)}</h1>
<p class="{view.css}byline">Written by
<span itemprop="author" itemscope itemtype="https://schema.org/Person">
<span itemprop="name">{escape(a.author)}</span></span>
on <time itemprop="datePublished" datetime="{rfc3339(view.published)}">{_long_date(view.published)}</time></p>
{_figure(view)}
<div itemprop="articleBody">
{_paragraphs(view)}
{_body_comments(view)}
</div>
{_promo(view)}
{_share(view)}
</article>
{_related(view)}
{_comments(view)}
{_most_read(view)}
{_footer(view)}"""


def _layout_tabloid(view: _View) -> str:
    """Tabloid theme: promo AND the comment list sit inside ``div.td-post-content`` with the text."""
    a = view.article
    return f"""{_head(view, _open_graph(view))}
<body class="td-theme">
{_cookie_banner(view)}
{_navigation(view)}
<div class="td-main-content-wrap"><div class="td-container">
<div class="td-post-header">
<h1 class="entry-title">{escape(a.title)}</h1>
<div class="td-module-meta-info"><div class="td-post-author-name">By {escape(a.author)}</div>
<span class="td-post-date"><time class="entry-date" datetime="{rfc3339(view.published)}">
{_long_date(view.published)}</time></span>
<div class="td-post-views"><span>1,204 views</span></div></div>
</div>
{_share(view)}
<div class="td-post-content">
{_figure(view)}
{_paragraphs(view)}
{_promo(view)}
{_comments(view)}
</div>
{_related(view)}
<div class="td-sidebar">{_most_read(view)}</div>
</div></div>
{_footer(view)}"""


def _layout_blog(view: _View) -> str:
    """Tech blog: Open Graph metadata, ``<section class="post-content">``, Disqus thread at the end."""
    a = view.article
    return f"""{_head(view, _open_graph(view))}
<body class="post-template">
{_cookie_banner(view)}
{_navigation(view)}
<main class="site-main">
<article class="post">
<header class="post-header">
<h1 class="post-title">{escape(a.title)}</h1>
<section class="post-meta"><span class="post-author">{escape(a.author)}</span> &bull;
<time class="post-date" datetime="{rfc3339(view.published)}">{_long_date(view.published)}</time>
&bull; 4 min read</section>
</header>
{_figure(view)}
<section class="post-content">
{_paragraphs(view)}
</section>
{_promo(view)}
{_share(view)}
</article>
{_related(view)}
{_most_read(view)}
{_comments(view)}
</main>
{_footer(view)}"""


_LAYOUTS: dict[str, Callable[[_View], str]] = {
    "article": _layout_article,
    "divsoup": _layout_divsoup,
    "jsonld": _layout_jsonld,
    "opengraph": _layout_opengraph,
    "microdata": _layout_microdata,
    "tabloid": _layout_tabloid,
    "blog": _layout_blog,
}
