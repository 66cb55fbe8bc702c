//! One self-contained HTML page of a view: the SVG laid out in the binary,
//! a little inline script to pan (drag), zoom (wheel) and search; no network.

use super::svg;
use crate::view::View;

const STYLE: &str = "body{margin:0;font-family:Helvetica,Arial,sans-serif}\
header{position:fixed;top:0;left:0;right:0;background:#fff;border-bottom:1px solid #ddd;padding:6px 10px;z-index:1}\
#canvas{position:absolute;top:40px;bottom:0;left:0;right:0;overflow:hidden;cursor:grab}\
#canvas svg{width:100%;height:100%}\
.dim{opacity:.25}.hit rect{stroke:#1a73e8!important;stroke-width:4!important}\
.note{color:#a15c00;margin-left:1em;font-size:12px}";

const SCRIPT: &str = r#"(function(){
var svg=document.querySelector('#canvas svg');
var vb=svg.viewBox.baseVal;var box={x:vb.x,y:vb.y,w:vb.width,h:vb.height};
svg.removeAttribute('width');svg.removeAttribute('height');
function apply(){svg.setAttribute('viewBox',box.x+' '+box.y+' '+box.w+' '+box.h);}
var drag=null;
svg.addEventListener('pointerdown',function(e){drag={x:e.clientX,y:e.clientY};svg.setPointerCapture(e.pointerId);});
svg.addEventListener('pointermove',function(e){if(!drag)return;var s=box.w/svg.clientWidth;
box.x-=(e.clientX-drag.x)*s;box.y-=(e.clientY-drag.y)*s;drag={x:e.clientX,y:e.clientY};apply();});
svg.addEventListener('pointerup',function(){drag=null;});
svg.addEventListener('wheel',function(e){e.preventDefault();var f=e.deltaY>0?1.15:1/1.15;
var r=svg.getBoundingClientRect();var px=box.x+(e.clientX-r.left)/r.width*box.w,py=box.y+(e.clientY-r.top)/r.height*box.h;
box.x=px-(px-box.x)*f;box.y=py-(py-box.y)*f;box.w*=f;box.h*=f;apply();},{passive:false});
var q=document.getElementById('q'),hits=document.getElementById('hits');
q.addEventListener('input',function(){var t=q.value.trim().toLowerCase();var n=0,first=null;
document.querySelectorAll('g.node').forEach(function(g){var m=t&&g.getAttribute('data-search').indexOf(t)>=0;
g.classList.toggle('hit',!!m);g.classList.toggle('dim',!!t&&!m);if(m){n++;if(!first)first=g;}});
hits.textContent=t?n+' match'+(n==1?'':'es'):'';
if(first){var b=first.getBBox();if(box.w>1600){box.h*=1600/box.w;box.w=1600;}box.x=b.x+b.width/2-box.w/2;box.y=b.y+b.height/2-box.h/2;apply();}});
})();"#;

/// Renders a view as a standalone HTML page titled `title`.
pub fn render(view: &View, title: &str) -> String {
    let notes: String = view
        .notes
        .iter()
        .map(|n| format!("<span class=\"note\">{}</span>", svg::xml(n)))
        .collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>{STYLE}</style></head>\n<body><header><strong>{t}</strong> <input id=\"q\" type=\"search\" placeholder=\"Search nodes…\" size=\"30\"> <span id=\"hits\"></span>{notes}</header>\n<div id=\"canvas\">\n{}</div>\n<script>{SCRIPT}</script></body></html>\n",
        svg::render(view),
        t = svg::xml(title),
    )
}
